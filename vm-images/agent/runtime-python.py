# The python3 runtime of a sandbox: loads one handler, then serves invocations from the host on its own port.
import importlib
import io
import json
import os
import resource
import signal
import struct
import sys
import threading
import time
import traceback

MAGIC = b"HF\x01\x00"
MAX_FRAME = 96 * 1024 * 1024
# Lambda's limit on a synchronous response (main/vm/protocol.ts MAX_RESULT_BYTES, responseTooLargeError).
MAX_RESULT_BYTES = 6 * 1024 * 1024


def response_too_large(size):
    return {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes, 6 MB)."
        % (size, MAX_RESULT_BYTES),
        "trace": [],
    }

def await_task():
    """The runtime starts with a clean environment; the task's whole environment and its folder follow on stdin."""
    if os.environ.get("_HEARTH_TASK_ON_STDIN") != "1":
        return
    line = sys.stdin.buffer.readline()
    sys.stdin.close()
    task = json.loads(line)
    os.environ.clear()
    os.environ.update(task["env"])
    os.chdir(task["cwd"])


await_task()
port_path = os.environ.pop("_HEARTH_PORT", "")
os.environ.pop("_HEARTH_TIMEOUT_MS", None)
handler_spec = os.environ.get("_HANDLER", "lambda_function.lambda_handler")
task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
memory_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")


def status(msg):
    try:
        os.write(3, (json.dumps(msg) + "\n").encode())
    except OSError:
        pass


def lambda_error(exc, error_type=None):
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "trace": [l.rstrip("\n") for l in traceback.format_exception(type(exc), exc, exc.__traceback__)],
    }


class Port:
    """Frames on the sandbox's own virtio port; a read of 0 bytes means no host yet, not the end."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR)
        # A bytearray grows in place and drops its front cheaply: joining bytes per chunk was quadratic.
        self.buf = bytearray()

    def send(self, frame):
        body = json.dumps(frame, separators=(",", ":")).encode()
        data = MAGIC + struct.pack(">I", len(body)) + body
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                continue
            except OSError:
                return
            view = view[n:]

    def frames(self):
        while True:
            try:
                chunk = os.read(self.fd, 262144)
            except OSError:
                chunk = b""
            if not chunk:
                self.buf.clear()
                time.sleep(0.02)
                continue
            self.buf += chunk
            while len(self.buf) >= 8:
                if self.buf[:4] != MAGIC:
                    nxt = self.buf.find(b"HF", 1)
                    del self.buf[: nxt if nxt > 0 else len(self.buf)]
                    continue
                (length,) = struct.unpack(">I", self.buf[4:8])
                if length > MAX_FRAME:
                    del self.buf[:2]
                    continue
                if len(self.buf) < 8 + length:
                    break
                body = bytes(self.buf[8 : 8 + length])
                del self.buf[: 8 + length]
                try:
                    yield json.loads(body)
                except ValueError:
                    pass


class LogStream(io.TextIOBase):
    """Replaces stdout/stderr: each complete line becomes a log frame tagged with the running invocation."""

    def __init__(self, name):
        self.name = name
        self.partial = ""

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        buf = self.partial + text
        *lines, self.partial = buf.split("\n")
        for line in lines:
            emit(self.name, line)
        if len(self.partial) > 16384:
            emit(self.name, self.partial)
            self.partial = ""
        return len(text)

    def flush(self):
        if self.partial:
            emit(self.name, self.partial)
            self.partial = ""


port = None
current_id = ""


def emit(stream, line):
    if port is not None:
        port.send({"t": "log", "id": current_id, "stream": stream, "line": line})


class Context:
    def __init__(self, request_id, timeout_ms):
        self.function_name = function_name
        self.function_version = function_version
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.invoked_function_arn = "arn:aws:lambda:local:000000000000:function:" + function_name
        self.log_group_name = "/aws/lambda/" + function_name
        self.log_stream_name = "hearth/" + function_version
        self.client_context = None
        self.identity = None
        self._deadline = time.time() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def load_handler():
    module_name, _, fn_name = handler_spec.rpartition(".")
    if not module_name or not fn_name:
        raise InitError("Runtime.MalformedHandlerName", 'Bad handler "%s": expected module.function' % handler_spec)
    sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ModuleNotFoundError as e:
        raise InitError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except Exception as e:  # an error raised while the module itself runs
        raise InitError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        raise InitError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fn_name, module_name))
    return fn


class InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


class Watchdog(threading.Thread):
    """The guest's own timeout: kills this process when an invocation overruns, even if it never yields."""

    GRACE_S = 0.25

    def __init__(self):
        super().__init__(daemon=True)
        self.cond = threading.Condition()
        self.deadline = None

    def arm(self, deadline):
        with self.cond:
            self.deadline = deadline + self.GRACE_S
            self.cond.notify()

    def disarm(self):
        with self.cond:
            self.deadline = None

    def run(self):
        with self.cond:
            while True:
                if self.deadline is None:
                    self.cond.wait()
                    continue
                left = self.deadline - time.time()
                if left > 0:
                    self.cond.wait(left)
                    continue
                try:
                    os.write(3, b'{"timeout":true}\n')
                except OSError:
                    pass
                os.kill(os.getpid(), signal.SIGKILL)


def max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    global port, current_id
    try:
        handler = load_handler()
        port = Port(port_path)
    except InitError as e:
        status({"up": False, "error": {"errorType": e.error_type, "errorMessage": str(e), "trace": []}})
        sys.exit(1)
    except Exception as e:
        status({"up": False, "error": lambda_error(e, "Runtime.Unknown")})
        sys.exit(1)
    sys.stdout = LogStream("stdout")
    sys.stderr = LogStream("stderr")
    watchdog = Watchdog()
    watchdog.start()
    status({"up": True})
    for frame in port.frames():
        if frame.get("t") != "invoke":
            continue
        current_id = frame["id"]
        start = time.perf_counter()
        timeout_ms = frame.get("timeoutMs", 3000)
        watchdog.arm(time.time() + timeout_ms / 1000.0)
        try:
            payload = frame.get("payload", "")
            event = json.loads(payload) if payload.strip() else {}
            value = handler(event, Context(frame.get("requestId", ""), timeout_ms))
            sys.stdout.flush()
            sys.stderr.flush()
            payload = json.dumps(value)
            size = len(payload.encode())
            if size > MAX_RESULT_BYTES:
                # Lambda answers such a response with an error, and the host would refuse the frame anyway.
                result = {"t": "result", "id": current_id, "ok": False, "error": response_too_large(size)}
            else:
                result = {"t": "result", "id": current_id, "ok": True, "payload": payload}
        except Exception as e:
            sys.stdout.flush()
            sys.stderr.flush()
            result = {"t": "result", "id": current_id, "ok": False, "error": lambda_error(e)}
        watchdog.disarm()
        result["durationMs"] = (time.perf_counter() - start) * 1000.0
        result["maxRssKb"] = max_rss_kb()
        port.send(result)
        current_id = ""


main()
