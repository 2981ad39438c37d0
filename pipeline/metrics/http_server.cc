#include "pipeline/metrics/http_server.h"

#include <mutex>
#include <string>
#include <utility>

#include <civetweb.h>

namespace sortline::metrics {
namespace {

struct ContextCloser {
  void operator()(mg_context* context) const { mg_stop(context); }
};

// civetweb keeps a process-wide reference count for mg_init_library; one call for the
// process is enough and is never undone.
void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

// One whole response through civetweb's response API: it writes the status line (with
// the code's reason phrase) and its own Date and Connection headers; the body follows.
void Reply(mg_connection* connection, int code, const char* content_type, const std::string& body) {
  mg_response_header_start(connection, code);
  mg_response_header_add(connection, "Content-Type", content_type, -1);
  mg_response_header_add(connection, "Cache-Control", "no-store", -1);
  const std::string length = std::to_string(body.size());
  mg_response_header_add(connection, "Content-Length", length.c_str(), -1);
  mg_response_header_send(connection);
  mg_write(connection, body.data(), body.size());
}

constexpr const char* kPlainText = "text/plain; charset=utf-8";

int ServeMetrics(mg_connection* connection, void* data) {
  const auto* registry = static_cast<const Registry*>(data);
  const mg_request_info* request = mg_get_request_info(connection);
  if (request == nullptr || std::string(request->request_method) != "GET") {
    mg_send_http_error(connection, 405, "%s", "only GET");
    return 405;
  }
  Reply(connection, 200, "text/plain; version=0.0.4; charset=utf-8", registry->Render());
  return 200;
}

// GET /healthz and /readyz: `data` is the check (a std::function<std::string()>, may be
// empty).
int ServeProbe(mg_connection* connection, void* data) {
  const auto* check = static_cast<const std::function<std::string()>*>(data);
  const mg_request_info* request = mg_get_request_info(connection);
  if (request == nullptr || (std::string(request->request_method) != "GET" &&
                             std::string(request->request_method) != "HEAD")) {
    mg_send_http_error(connection, 405, "%s", "only GET");
    return 405;
  }
  const std::string problem = *check ? (*check)() : std::string();
  if (problem.empty()) {
    Reply(connection, 200, kPlainText, "ok\n");
    return 200;
  }
  Reply(connection, 503, kPlainText, problem + "\n");
  return 503;
}

class CivetServer final : public HttpServer {
 public:
  // The probes' checks live here, so civetweb's handlers can borrow them.
  CivetServer(std::function<std::string()> liveness, std::function<std::string()> readiness)
      : liveness_(std::move(liveness)), readiness_(std::move(readiness)) {}
  int port() const override { return port_; }

  std::function<std::string()> liveness_;
  std::function<std::string()> readiness_;
  // Declared after the checks: stopped (requests finished) before they are destroyed.
  std::unique_ptr<mg_context, ContextCloser> context_;
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      const Registry& registry) {
  InitLibraryOnce();
  const std::string listen = options.host + ":" + std::to_string(options.port);
  const std::string threads = std::to_string(options.threads);
  const char* civet_options[] = {"listening_ports", listen.c_str(), "num_threads", threads.c_str(),
                                 nullptr};
  mg_callbacks callbacks{};
  auto server = std::make_unique<CivetServer>(options.liveness, options.readiness);
  server->context_.reset(mg_start(&callbacks, nullptr, civet_options));
  mg_context* context = server->context_.get();
  if (context == nullptr) return IoError("metrics: cannot listen on " + listen);
  mg_set_request_handler(context, "/metrics", &ServeMetrics, const_cast<Registry*>(&registry));
  mg_set_request_handler(context, "/healthz", &ServeProbe, &server->liveness_);
  mg_set_request_handler(context, "/readyz", &ServeProbe, &server->readiness_);
  mg_server_port ports[4] = {};
  int n = mg_get_server_ports(context, 4, ports);
  if (n < 1) return IoError("metrics: no port bound for " + listen);
  server->port_ = ports[0].port;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace sortline::metrics
