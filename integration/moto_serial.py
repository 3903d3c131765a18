# moto's server with its requests taken one at a time.
#
# moto's threaded server checks a conditional write and applies it without
# a lock: under load two racing "n < max" increments both pass, and a write
# interleaved with another can answer HTTP 500. DynamoDB applies each
# conditional write atomically, and the stores' budgets and exactly-once
# claims rely on it. One lock around each request makes moto linearizable;
# moto spends its time holding Python's GIL anyway, so little is lost.
#
# Usage: python3 moto_serial.py HOST PORT [stdin]
# Prints "port N" once listening. With "stdin" it exits when its standard
# input closes (the harness: when the test binary exits, however it exits),
# else it serves until killed (the Docker image).
import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialised(environ, start_response):
    with lock:
        return list(app(environ, start_response))


host, port = sys.argv[1], int(sys.argv[2])
server = make_server(host, port, serialised, threaded=True)
print("port", server.server_address[1], flush=True)
if sys.argv[3:] == ["stdin"]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
else:
    server.serve_forever()
