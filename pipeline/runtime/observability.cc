#include "pipeline/runtime/observability.h"

namespace sortline::runtime {

void CountRefusedHandshakes(transport::ChannelOptions& options, metrics::Registry& registry,
                            const std::string& channel) {
  options.on_handshake_refused = [&registry, channel](const transport::HandshakeRefusal& refusal) {
    registry
        .GetCounter("sortline_handshakes_refused_total",
                    "Connections whose handshake failed, by channel and likely cause",
                    {{"channel", channel},
                     {"reason", std::string(transport::HandshakeFailureName(refusal.failure))}})
        .Add();
  };
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sortline::runtime
