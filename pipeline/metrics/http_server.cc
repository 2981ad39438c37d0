#include "pipeline/metrics/http_server.h"

#include <mutex>

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

int ServeMetrics(mg_connection* connection, void* data) {
  const auto* registry = static_cast<const Registry*>(data);
  const mg_request_info* request = mg_get_request_info(connection);
  if (request == nullptr || std::string(request->request_method) != "GET") {
    mg_send_http_error(connection, 405, "%s", "only GET");
    return 405;
  }
  std::string body = registry->Render();
  mg_printf(connection,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            body.size());
  mg_write(connection, body.data(), body.size());
  return 200;
}

class CivetServer final : public HttpServer {
 public:
  CivetServer(std::unique_ptr<mg_context, ContextCloser> context, int port)
      : context_(std::move(context)), port_(port) {}
  int port() const override { return port_; }

 private:
  std::unique_ptr<mg_context, ContextCloser> context_;
  int port_;
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
  std::unique_ptr<mg_context, ContextCloser> context(mg_start(&callbacks, nullptr, civet_options));
  if (!context) return IoError("metrics: cannot listen on " + listen);
  mg_set_request_handler(context.get(), "/metrics", &ServeMetrics,
                         const_cast<Registry*>(&registry));
  mg_server_port ports[4] = {};
  int n = mg_get_server_ports(context.get(), 4, ports);
  if (n < 1) return IoError("metrics: no port bound for " + listen);
  return std::unique_ptr<HttpServer>(new CivetServer(std::move(context), ports[0].port));
}

}  // namespace sortline::metrics
