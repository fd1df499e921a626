-- wrk script: POSTs a Mono webhook (tests/fixtures/mono/mono.events.account_updated.json by
-- default) with a unique event_id per request, and the mono-webhook-secret header.
--
-- Environment (read once per wrk thread):
--   BENCH_BODY    path of the JSON body (its "event_id" value is replaced per request)
--   BENCH_SECRET  value of mono-webhook-secret
--   BENCH_PATH    request path (default /webhooks/mono)
--   BENCH_TAG     a run tag that makes event ids unique across runs (default: time)
--   BENCH_KEYS    if set to N > 0, the account "_id" (the record key) cycles through N values,
--                 spreading records over partitions; unset, every record has the fixture's key
--
-- Statuses are not counted here (a response() callback slows wrk down): run.sh reads wrk's own
-- "Non-2xx or 3xx responses" line.

local counter = 0
local prefix, suffix
local middle, keys -- with BENCH_KEYS: suffix is split around the account "_id" value
local headers = {}
local path
local tag

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  local body = f:read("*a")
  f:close()
  -- split the body around the event_id value
  local s, e = body:find('"event_id"%s*:%s*"[^"]*"')
  assert(s, "no event_id in body")
  local key = body:sub(s, e):match('^("event_id"%s*:%s*")')
  prefix = body:sub(1, s - 1) .. key
  suffix = '"' .. body:sub(e + 1)
  keys = tonumber(os.getenv("BENCH_KEYS") or "")
  if keys and keys > 0 then
    local ks, ke = suffix:find('"_id"%s*:%s*"[^"]*"')
    assert(ks, "no _id after event_id in body")
    local kkey = suffix:sub(ks, ke):match('^("_id"%s*:%s*")')
    middle = suffix:sub(1, ks - 1) .. kkey
    suffix = '"' .. suffix:sub(ke + 1)
  else
    keys = nil
  end
  path = os.getenv("BENCH_PATH") or "/webhooks/mono"
  headers["Content-Type"] = "application/json"
  headers["mono-webhook-secret"] = os.getenv("BENCH_SECRET") or "dev-mono-webhook-secret"
  tag = (os.getenv("BENCH_TAG") or tostring(os.time())) .. "t" .. tostring(thread_id or 0) .. "n"
end

function request()
  counter = counter + 1
  if keys then
    return wrk.format("POST", path, headers,
                      prefix .. tag .. counter .. middle .. "acct" .. (counter % keys) .. suffix)
  end
  return wrk.format("POST", path, headers, prefix .. tag .. counter .. suffix)
end
