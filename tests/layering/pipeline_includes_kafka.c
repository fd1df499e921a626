/* Not part of any build: compiled as if it were in bridge/pipeline/, which must not find the
 * Kafka layer's headers (the pipeline is pure: it knows neither Kafka nor HTTP). */
#include "kafka/producer.h"
