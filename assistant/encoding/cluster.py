"""Embedding a build's passages on a Ray cluster (``assistant build --ray [ADDRESS]``).

Embedding is the cost that grows with an archive (about 14 passages/s on two cores), so a large
build can send it to Ray: the texts that need embedding go through Ray Data ``map_batches`` to a
pool of actors, each of which loads the encoder once by name through ``load_model`` (offline,
from the shared model cache) and checks that it computes what the driver's model computes.
Everything else (reading, chunking, the incremental reuse of vectors, the index format, the
atomic swap) is the local build's: ``RayEncoder`` only stands where the model stood.

Ray is an optional extra (``pip install -e '.[cluster]'``); this module imports it lazily.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.encoding.encoder import BATCH_SIZE, Encoder, ModelInfo
from assistant.errors import ClusterError, InputError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[cluster]'"
"""How to get Ray: the project's optional extra (``ray[data]``)."""

DEFAULT_BATCH_SIZE = 64
"""Texts per Ray Data batch: large enough that per-batch scheduling (a few ms) is small against
encoding (~4 s for 64 passages on one core), small enough that progress moves and a lost batch
is cheap to redo. Inside an actor the encoder still runs at most ``assistant.encoder.BATCH_SIZE``
texts at a time."""

FAULT_TOLERANCE = "Ray Data's defaults for actor pools"
"""Not set here on purpose: Ray Data (2.60, ``ActorPoolMapOperator``) gives its actors
``max_restarts=-1`` and ``max_task_retries=-1``, so an actor whose process or node dies is
restarted on a live node and its batches are retried; an actor whose constructor raises (a model
that cannot load) is a user error and fails the build at once. Passing these as ``map_batches``
keywords is deprecated in 2.60."""


def parse_address(value: str | None) -> str | None:
    """The cluster address ``--ray`` was given, checked: ``auto``, ``ray://host:port`` or
    ``host:port``; None or empty starts a local Ray instance."""
    if value is None or value == "":
        return None
    address = value.strip()
    if address == "auto":
        return address
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(
            f"--ray address {value!r} is not one of: auto, ray://HOST:PORT, HOST:PORT "
            "(or nothing, to start a local Ray instance)"
        )
    return address


def _is_loopback(address: str | None) -> bool:
    """Whether the cluster is on this machine's loopback (or started here)."""
    if address is None:
        return True
    if address == "auto":
        return False
    host = address.removeprefix("ray://").rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def import_ray() -> Any:
    """The ``ray`` module, or a one-line ClusterError that says how to install it."""
    try:
        import ray
        import ray.data  # the extra is ray[data]: plain ray lacks its dependencies
    except ImportError as exc:
        raise ClusterError(
            f"--ray needs Ray, which is not installed ({exc.name or 'ray'}): {INSTALL_HINT}"
        ) from exc
    return ray


@dataclass(frozen=True)
class RaySettings:
    """Where and how wide a Ray build runs."""

    address: str | None = None
    """``auto``, ``ray://host:port`` or ``host:port``; None starts a local Ray instance."""
    actors: int | None = None
    """Encoder actors; None: one per ``cpus_per_actor`` CPUs the cluster has."""
    batch_size: int = DEFAULT_BATCH_SIZE
    cpus_per_actor: int = 1
    """CPUs each actor reserves; Ray sets its OMP_NUM_THREADS to this, and the encoder runs on
    that many threads, so actors do not oversubscribe a node's cores."""

    def __post_init__(self) -> None:
        if self.actors is not None and self.actors < 1:
            raise InputError(f"--ray-actors must be 1 or more, not {self.actors}")
        if self.batch_size < 1:
            raise InputError(f"--ray-batch-size must be 1 or more, not {self.batch_size}")
        if self.cpus_per_actor < 1:
            raise InputError(f"CPUs per actor must be 1 or more, not {self.cpus_per_actor}")


class EmbedActor:
    """One Ray actor's encoder: loaded once, by name, from the model cache (nothing is
    downloaded), and refused if it computes other vectors than the driver's model.

    Ray Data builds it without arguments: the model's identity is set on a subclass
    (``for_model``), so a restarted actor never depends on constructor arguments held in the
    object store of a node that may be gone."""

    model_name: str = ""
    probe_checksum: str = ""
    batch_size: int = 32

    @classmethod
    def for_model(cls, model_name: str, probe_checksum: str, batch_size: int) -> type[EmbedActor]:
        attributes = {
            "model_name": model_name,
            "probe_checksum": probe_checksum,
            "batch_size": batch_size,
        }
        return type(cls.__name__, (cls,), attributes)

    def __init__(self) -> None:
        from assistant.encoding.models import load_model
        from assistant.encoding.onnx_runtime import THREADS_ENV

        threads = os.environ.get("OMP_NUM_THREADS")  # Ray sets it to the actor's CPUs
        if threads:
            os.environ[THREADS_ENV] = threads
        self.encoder, info = load_model(self.model_name)
        if info.probe_checksum != self.probe_checksum:
            raise ClusterError(
                f"model {self.model_name!r} on this worker computes other vectors than on the "
                f"driver (probe {info.probe_checksum} != {self.probe_checksum}); rebuild its cache"
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        vectors = self.encoder.encode_documents(texts, batch_size=self.batch_size)
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


def _in_order(total: int, dimension: int, batches: Iterator[dict[str, np.ndarray]]):
    """Vectors of rows 0..total-1 from batches that arrive in any order, yielded in order as
    consecutive pieces as soon as each prefix is complete; a row missing or duplicated is an
    error, never a silently shifted vector."""
    out = np.empty((total, dimension), dtype=np.float32)
    filled = np.zeros(total, dtype=bool)
    cursor = 0
    for batch in batches:
        rows = np.asarray(batch["row"], dtype=np.int64)
        if filled[rows].any() or len(np.unique(rows)) != len(rows):
            raise ClusterError("Ray returned a passage twice; the build was stopped")
        out[rows] = np.asarray(batch["vector"], dtype=np.float32).reshape(len(rows), dimension)
        filled[rows] = True
        start = cursor
        while cursor < total and filled[cursor]:
            cursor += 1
        if cursor > start:
            yield out[start:cursor]
    if cursor != total:
        raise ClusterError(f"Ray returned {cursor} of {total} vectors; the build was stopped")


class RayEncoder:
    """The build's encoder when embedding runs on Ray.

    It wraps the locally loaded encoder, which still gives the build its identity (``info``:
    name, probe), the dimension, and query vectors; document batches go to Ray actors.
    ``iter_encode_documents`` lets the build report progress while the cluster works.

    >>> with RayEncoder(encoder, RaySettings(address="127.0.0.1:6379")) as ray_encoder:
    ...     vectors = ray_encoder.encode_documents(["passage one", "passage two"])
    >>> vectors.shape
    (2, 384)
    """

    def __init__(self, local: Encoder, settings: RaySettings | None = None):
        self._local = local
        self.settings = settings or RaySettings()
        self._ray: Any = None
        self._started_here = False

    # -- identity and queries: the local encoder's -----------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self._local.info

    @property
    def dimension(self) -> int:
        return self._local.dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._local.encode_queries(texts)

    # -- documents: on Ray -------------------------------------------------------------------
    def encode_documents(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Normalised float32 vectors of ``texts``, in order (``batch_size`` is the local
        encoder's option; on Ray, ``RaySettings.batch_size`` sets the batches)."""
        pieces = list(self.iter_encode_documents(texts))
        if not pieces:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(pieces)

    def iter_encode_documents(self, texts: Sequence[str]) -> Iterator[np.ndarray]:
        """Vectors of ``texts`` in input order, in consecutive pieces as they come back."""
        texts = list(texts)
        if not texts:
            return
        ray = self._connect()
        settings = self.settings
        actors = settings.actors or self._default_actors()
        blocks = max(1, -(-len(texts) // settings.batch_size))
        dataset = ray.data.from_items(
            [{"row": i, "text": t} for i, t in enumerate(texts)], override_num_blocks=blocks
        ).map_batches(
            EmbedActor.for_model(self.info.name, self.info.probe_checksum, BATCH_SIZE),
            batch_size=settings.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=settings.cpus_per_actor,
        )
        log.info(
            "embedding %d texts on Ray: %d actors, batches of %d",
            len(texts),
            actors,
            settings.batch_size,
        )
        try:
            yield from _in_order(
                len(texts),
                self.dimension,
                dataset.iter_batches(batch_size=None, batch_format="numpy"),
            )
        except ClusterError:
            raise
        except Exception as exc:  # Ray raises many types (RayTaskError, ActorDiedError, ...)
            raise ClusterError(f"the Ray build could not finish: {_one_line(exc)}") from exc

    # -- the connection ----------------------------------------------------------------------
    def _default_actors(self) -> int:
        cpus = int(self._ray.cluster_resources().get("CPU", 1))
        return max(1, cpus // self.settings.cpus_per_actor)

    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        ray = import_ray()
        address = self.settings.address
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "configure_logging": True,
        }
        if _is_loopback(address):
            # Ray binds the machine's interface address unless told otherwise; a local
            # instance, or a cluster on loopback, must be joined on 127.0.0.1.
            options["_node_ip_address"] = "127.0.0.1"
        if ray.is_initialized():
            self._ray = ray
            return ray
        try:
            ray.init(address=address, **options)
        except Exception as exc:  # ConnectionError, RuntimeError, ValueError, ...
            where = address or "a local instance"
            raise ClusterError(f"cannot start or reach Ray at {where}: {_one_line(exc)}") from exc
        self._started_here = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the build's own progress callback reports
        context.print_on_execution_start = False
        if not log.isEnabledFor(logging.INFO):  # Ray's own lines only with --verbose
            for name in ("ray", "ray.data"):
                logging.getLogger(name).setLevel(logging.ERROR)
        self._ray = ray
        return ray

    def close(self) -> None:
        """Disconnect from the cluster (a local instance started here is stopped)."""
        if self._ray is not None and self._started_here:
            self._ray.shutdown()
        self._ray = None
        self._started_here = False

    def __enter__(self) -> RayEncoder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message (Ray's carry whole remote tracebacks)."""
    text = str(exc).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), "")
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


def ray_encoder_factory(settings: RaySettings) -> Callable[[Encoder], RayEncoder]:
    """What ``indexer.build_files(wrap_encoder=...)`` takes: wraps the encoder in a RayEncoder
    once it is loaded (after the cheap checks), and is closed by the build."""
    import_ray()  # fail in one line before reading files or loading the model

    def wrap(encoder: Encoder) -> RayEncoder:
        return RayEncoder(encoder, settings)

    return wrap
