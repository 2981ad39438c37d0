// Serves a Registry as Prometheus text on GET /metrics, and the probes an orchestrator
// asks (Kubernetes liveness and readiness) on GET /healthz and GET /readyz, with
// civetweb. A probe answers 200 with "ok\n" when its check finds nothing wrong, else 503
// with what is wrong, one problem a line.
//
// Thread-safety: civetweb answers on its own threads; the server object itself is owned
// by one thread. Stopping (destruction) waits for requests in progress.
#ifndef PIPELINE_METRICS_HTTP_SERVER_H_
#define PIPELINE_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "pipeline/base/result.h"
#include "pipeline/metrics/metrics.h"

namespace sortline::metrics {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // address to listen on
  int port = 9464;                 // 0: the OS picks a free port (see port())
  int threads = 2;                 // request threads
  // The checks behind the probes: each returns "" when all is well, else what is wrong.
  // Called on civetweb's threads: must be thread-safe. null: the probe always answers
  // 200 (for /healthz: the process is alive enough to answer).
  std::function<std::string()> liveness;   // GET /healthz: restart me when failing
  std::function<std::string()> readiness;  // GET /readyz: send me no work when failing
};

class HttpServer {
 public:
  // Starts serving `registry`, which is borrowed and must outlive the server.
  // kIoError when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   const Registry& registry);
  virtual ~HttpServer() = default;
  // The port actually listened on.
  virtual int port() const = 0;
};

}  // namespace sortline::metrics

#endif  // PIPELINE_METRICS_HTTP_SERVER_H_
