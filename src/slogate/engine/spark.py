"""One local Spark session per process, created on first use.

Local mode with two cores, no UI, four shuffle partitions and quiet logs: the
settings of a laptop or a CI runner, where Spark is tested, not tuned. A real
cluster passes its own session to `open_events(spark_session=...)`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from typing import Any

from slogate.errors import EngineError

_LOCK = threading.Lock()
_SESSION: Any = None


def java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


_LOG4J = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


def _quiet_log4j() -> str:
    """A log4j2 file that keeps Spark's INFO/WARN chatter off the terminal."""
    fd, path = tempfile.mkstemp(prefix="slogate-log4j2-", suffix=".properties")
    with os.fdopen(fd, "w") as fh:
        fh.write(_LOG4J)
    return path


def spark_session() -> Any:
    """The process-wide local SparkSession; EngineError when there is no JVM."""
    global _SESSION
    with _LOCK:
        if _SESSION is not None:
            return _SESSION
        if not java_available():
            raise EngineError(
                "the spark engine needs a Java runtime (install a JDK 17 or set JAVA_HOME); "
                "use --engine duckdb otherwise"
            )
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - pyspark is a dependency
            raise EngineError("the spark engine needs pyspark installed") from exc
        try:
            session = (
                SparkSession.builder.master("local[2]")
                .appName("slogate")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.default.parallelism", "2")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config(
                    "spark.driver.extraJavaOptions",
                    f"-Dlog4j2.configurationFile=file:{_quiet_log4j()}",
                )
                .getOrCreate()
            )
            session.sparkContext.setLogLevel("ERROR")
        except Exception as exc:
            raise EngineError(f"cannot start a local Spark session: {exc}") from exc
        _SESSION = session
        return session
