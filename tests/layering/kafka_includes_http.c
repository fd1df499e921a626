/* Not part of any build: the layering test compiles it as if it were in bridge/kafka/, where
 * the HTTP layer's headers must not be found (kafka and http both sit on pipeline; neither may
 * reach the other). */
#include "http/server.h"
