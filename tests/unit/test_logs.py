"""Log lines: formats, context fields, gunicorn's access fields, redaction, request ids."""

import io
import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.glogging import SafeAtoms

from shophub.platform import logs
from shophub.web.request_id import accepted_or_new


def _logger(formatter: logging.Formatter,
            *filters: logging.Filter) -> tuple[logging.Logger, io.StringIO]:
    """A logger of its own that writes through `formatter` and `filters` into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    for log_filter in filters:
        handler.addFilter(log_filter)
    logger = logging.getLogger(f"tests.logs.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def json_logger() -> tuple[logging.Logger, io.StringIO]:
    """Writes JSON lines, as a production process does."""
    return _logger(logs.JsonLineFormatter(), logs.ContextFields(), logs.GunicornAccessFields(),
                   logs.RedactEmails())


def lines_of(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_says_when_what_and_about_which_request_and_order():
    logger, stream = json_logger()
    with logs.for_request("req-1"), logs.about_order("SH-10001"):
        logger.info("Order %s paid", "SH-10001")
    logger.warning("Nothing in particular")

    first, second = lines_of(stream)
    assert first["level"] == "INFO" and first["logger"] == logger.name
    assert first["message"] == "Order SH-10001 paid"
    assert (first["request_id"], first["order"]) == ("req-1", "SH-10001")
    assert first["time"].endswith("+00:00")
    assert "request_id" not in second and "order" not in second


def test_json_lines_carry_known_fields_only_never_a_records_extra():
    """RQ logs a failed job with its arguments in `extra`: they must not reach the line."""
    logger, stream = json_logger()
    logger.error("Job failed", extra={"arguments": ["kim@example.com", "Kim Quist"],
                                      "kwargs": {"name": "Kim Quist"}, "job_id": "j1",
                                      "queue": "shophub"})
    (line,) = lines_of(stream)
    assert set(line) == {"time", "level", "logger", "message", "job_id", "queue"}
    assert "Kim" not in stream.getvalue()


def test_email_addresses_are_redacted_from_messages_and_tracebacks():
    logger, stream = json_logger()
    logger.info("Sent to %s", "kim.quist+shop@mail.example.co.uk")
    try:
        raise ValueError("refused ann@example.com")
    except ValueError:
        logger.exception("Mail to %s failed", "ann@example.com")

    text = stream.getvalue()
    assert "example" not in text
    sent, failed = lines_of(stream)
    assert sent["message"] == "Sent to <email>"
    assert failed["message"] == "Mail to <email> failed"
    assert failed["exc_info"].endswith("ValueError: refused <email>")


def test_redact_leaves_text_without_an_address_alone():
    assert logs.redact("Job shophub.platform.jobs.send_mail_job (welcome:7) OK") == \
        "Job shophub.platform.jobs.send_mail_job (welcome:7) OK"
    assert logs.redact("<4f1c@localhost> to kim@example.com") == "<4f1c@localhost> to <email>"


def test_text_lines_name_the_request_and_order_in_brackets_when_there_are_some():
    logger, stream = _logger(logs.TextFormatter(), logs.ContextFields(), logs.RedactEmails())
    with logs.for_request("req-1"), logs.about_order("SH-10001"):
        logger.info("Wrote order_confirmation mail for %s", "ann@example.com")
    logger.info("Nothing in particular")
    about, plain = stream.getvalue().splitlines()
    assert about.endswith(f"INFO {logger.name} [request_id=req-1 order=SH-10001]: "
                          "Wrote order_confirmation mail for <email>")
    assert plain.endswith(f"INFO {logger.name}: Nothing in particular")


def gunicorn_access_record(request_id: str, path: str = "/products") -> logging.LogRecord:
    """The record gunicorn's access log writes for one request (its atoms are the args)."""
    gunicorn_log = object.__new__(GunicornLogger)  # its atoms only: no handlers set up
    response = SimpleNamespace(status="200 OK", sent=5120,
                               headers=[("Content-Type", "text/html"),
                                        ("X-Request-ID", request_id)])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{path}?q=kim@example.com",
               "PATH_INFO": path, "QUERY_STRING": "q=kim@example.com",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9"}
    request = SimpleNamespace(headers=[("HOST", "shop.test")])
    atoms = SafeAtoms(gunicorn_log.atoms(response, request, environ,
                                         timedelta(milliseconds=12, microseconds=345)))
    return logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                             logs.ACCESS_LOG_FORMAT, (atoms,), None)


def test_a_gunicorn_access_line_becomes_fields_of_its_own():
    logger, stream = json_logger()
    logger.handle(gunicorn_access_record("req-42"))
    (line,) = lines_of(stream)
    assert line["logger"] == "gunicorn.access" and line["message"] == "GET /products 200"
    assert {name: line[name] for name in ("method", "path", "status", "bytes", "duration_ms",
                                          "remote_addr", "request_id")} == {
        "method": "GET", "path": "/products", "status": 200, "bytes": 5120,
        "duration_ms": 12.3, "remote_addr": "203.0.113.9", "request_id": "req-42"}


def test_the_text_access_line_has_address_request_status_size_duration_and_id_but_no_query():
    record = gunicorn_access_record("req-42")
    assert record.getMessage() == '203.0.113.9 "GET /products" 200 5120 12ms request_id=req-42'


def test_the_format_follows_log_format_else_production():
    assert logs.chosen_format(None, {"SHOPHUB_ENV": "production"}) == logs.JSON
    assert logs.chosen_format("", {}) == logs.TEXT
    assert logs.chosen_format("TEXT", {"SHOPHUB_ENV": "production"}) == logs.TEXT
    assert logs.chosen_format("json", {}) == logs.JSON
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.chosen_format("xml", {})


def test_the_level_is_a_level_name_info_by_default():
    assert logs.chosen_level(None) == "INFO"
    assert logs.chosen_level(" debug ") == "DEBUG"
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        logs.chosen_level("loud")


def test_gunicorns_config_sends_its_loggers_through_the_one_handler():
    config = logs.gunicorn_logconfig_dict({"LOG_FORMAT": "json", "LOG_LEVEL": "warning"})
    assert config["root"] == {"level": "WARNING", "handlers": [logs.HANDLER_NAME]}
    for name in ("gunicorn.error", "gunicorn.access", "rq.worker"):
        assert config["loggers"][name] == {"handlers": [], "propagate": True}
    assert config["formatters"][logs.HANDLER_NAME]["()"] is logs.JsonLineFormatter
    assert "gunicorn_access" in config["handlers"][logs.HANDLER_NAME]["filters"]


def test_contexts_nest_and_end_with_their_block():
    with logs.for_request("req-1"):
        with logs.about_order("SH-1"):
            with logs.about_order("SH-2"):
                assert logs.job_context() == {"request_id": "req-1", "order": "SH-2"}
            assert logs.current_order() == "SH-1"
        assert logs.job_context() == {"request_id": "req-1"}
    assert logs.job_context() == {}


def test_a_job_runs_under_the_context_it_was_queued_with_and_an_old_job_under_none():
    with logs.for_request("req-1"), logs.about_order("SH-1"):
        queued_with = logs.job_context()
    with logs.in_job_context(queued_with):
        assert (logs.current_request_id(), logs.current_order()) == ("req-1", "SH-1")
    with logs.in_job_context(None):
        assert logs.job_context() == {}
    with logs.for_request("outer"), logs.in_job_context({}):
        assert logs.current_request_id() == "outer"  # nothing to say: the caller's stands
    assert logs.job_context() == {}


@pytest.mark.parametrize(("incoming", "kept"), [
    ("abc-123_x.Y", True),
    ("a" * 64, True),
    ("a" * 65, False),
    ("two words", False),
    ("line\nbreak", False),
    ("", False),
    (None, False),
])
def test_an_incoming_request_id_is_kept_only_when_it_is_a_plain_token(incoming, kept):
    request_id = accepted_or_new(incoming)
    if kept:
        assert request_id == incoming
    else:
        assert len(request_id) == 32 and int(request_id, 16) >= 0


def test_a_broken_log_call_is_reported_by_logging_not_raised_into_the_caller(capsys):
    logger, stream = json_logger()
    logger.info("Order %s of %s", "SH-1")  # one argument short
    assert stream.getvalue() == ""
    assert "Logging error" in capsys.readouterr().err
