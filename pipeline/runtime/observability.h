// What the daemons share to be observed: counting refused handshakes into a metrics
// registry, and the steady-clock helpers their probes and latency metrics use.
//
// Thread-safety: the hooks installed here are thread-safe (metrics::Registry is).
#ifndef PIPELINE_RUNTIME_OBSERVABILITY_H_
#define PIPELINE_RUNTIME_OBSERVABILITY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/metrics/http_server.h"
#include "pipeline/metrics/metrics.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {

// Makes `options` count each refused handshake of its channel in `registry` as
// sortline_handshakes_refused_total{channel=`channel`,reason=...}. `registry` must
// outlive the channel.
void CountRefusedHandshakes(transport::ChannelOptions& options, metrics::Registry& registry,
                            const std::string& channel);

// The options of a daemon's channel `channel` to or from peers of role `peer_role`:
// CURVE with `security` (null or disabled: plaintext), refused handshakes logged to `log`
// and counted in `registry` (CountRefusedHandshakes). `security` and `registry` must
// outlive the channel.
transport::ChannelOptions ObservedChannelOptions(const transport::Security* security,
                                                 const LogSink& log, const std::string& peer_role,
                                                 metrics::Registry& registry,
                                                 const std::string& channel);

// Serves `registry` with the /healthz and /readyz probes (checks as in
// metrics::HttpServerOptions) on `host`:`port`; null when `port` is -1 (none). The
// registry and whatever the checks look at must outlive the server.
Result<std::unique_ptr<metrics::HttpServer>> StartMetrics(const std::string& host, int port,
                                                          const metrics::Registry& registry,
                                                          std::function<std::string()> liveness,
                                                          std::function<std::string()> readiness);

// Milliseconds on the steady clock (for "not seen for" checks across threads).
int64_t SteadyMillis();
// Seconds since `start`, for latency histograms.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_OBSERVABILITY_H_
