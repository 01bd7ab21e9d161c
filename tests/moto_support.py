"""moto's accounts as the tests use them: emptied between tests, quicker where no test looks, and
the AWS side a builder makes restored instead of requested again.

Pinned to moto 5.2.5 (requirements.lock): `forget_accounts` and `snapshotted` read its backend
registry (moto.core.base_backend.BackendDict), `quicken_moto` replaces two of its functions.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import moto.core.responses
import moto.core.utils
import moto.kms.models
from moto.core.base_backend import BackendDict, backend_lock
from moto.core.model_instances import reset_model_data
from moto.kms.utils import generate_private_key

P = ParamSpec("P")
T = TypeVar("T")


def forget_accounts() -> None:
    """Every region of every account of every service back to nothing, as moto's reset leaves
    them (BackendDict.reset: what mock_aws runs when it starts and stops, and what moto's reset
    API runs), without what makes that reset slow in moto 5.2.5: it builds every region's
    backend again only to drop it (EC2's default VPC, and, once `aws` has taken
    MOTO_EC2_LOAD_DEFAULT_AMIS away at a module's end, its catalogue of AMIs), and it drops each
    service's per-account table, whose list of regions the next request reads again from
    botocore's endpoint data. Here the tables stay and the region backends go; a region's
    backend is built, empty, at the first request that reaches it, as after a reset. Measured on
    the moto tests (tests/test_ops_*.py and the bootstrap handler's): 12.5 CPU-s before, 9.1 after.
    """
    with backend_lock:
        for service in BackendDict._instances:
            for account in service.values():
                account.clear()
    reset_model_data()


def untouched() -> bool:
    """No request reached moto since the accounts were forgotten: no region backend exists."""
    return not any(regions for service in BackendDict._instances for regions in service.values())


def snapshotted(build: Callable[P, T]) -> Callable[P, T]:
    """`build`, a builder of AWS resources in moto (a web stack, a database), made once per
    process for each set of arguments and moto settings, then restored.

    In an untouched account, the builder's first run records the region backends moto holds after
    it and what it returned; a later call in an untouched account puts a copy of them back and
    returns a copy of the value: about 1 ms of CPU against 40-80 ms of requests, for builders
    that some fifty tests call first thing. The copy holds the same ids, ARNs and creation times
    as the first run; nothing a test does to it reaches the record. Anywhere else (something was
    created before), and for a builder that reaches a service whose backend cannot be copied
    (SQS's holds a lock), the builder runs."""
    made: dict[str, tuple[list[BackendDict], bytes, bytes] | None] = {}

    @functools.wraps(build)
    def restored(*args: P.args, **kwargs: P.kwargs) -> T:
        key = repr((args, sorted(kwargs.items()), sorted(_moto_settings().items())))
        record = made.get(key)
        if not untouched() or (key in made and record is None):
            return build(*args, **kwargs)
        if record is not None:
            services, state, value = record
            _restore(services, state)
            return pickle.loads(value)
        result = build(*args, **kwargs)
        services = [service for service in BackendDict._instances if any(service.values())]
        state = [(index, account, dict(regions)) for index, s in enumerate(services) for account, regions in s.items()]
        try:
            made[key] = (services, pickle.dumps(state, pickle.HIGHEST_PROTOCOL), pickle.dumps(result))
        except TypeError:  # a backend holding a lock (SQS's): this builder always runs
            made[key] = None
        return result

    return restored


def _moto_settings() -> dict[str, str]:
    """What moto reads from the environment as it creates resources (MOTO_ECS_SERVICE_RUNNING...)."""
    return {name: value for name, value in os.environ.items() if name.startswith("MOTO_")}


def _restore(services: list[BackendDict], state: bytes) -> None:
    # One pickle for every service: a backend that holds another's objects gets the copies the
    # registry gets. Indexing a BackendDict registers it again after a reset (mock_aws starting).
    for index, account, regions in pickle.loads(state):
        services[index][account].update(regions)


def quicken_moto(monkeypatch: Any) -> None:
    """Take out two costs of moto 5.2.5 that no test needs, measured in this suite's CPU time:
    the key pair of every KMS key (DeferredKeyPair), and, at every request, listing its response
    class's methods with `inspect.getmembers` to find the action's (about 0.4 ms a request; a
    class's methods do not change, so one list per class does)."""
    monkeypatch.setattr(moto.kms.models, "generate_private_key", DeferredKeyPair)
    monkeypatch.setattr(moto.core.responses, "method_names_from_class", _method_names)


_method_names = functools.cache(moto.core.utils.method_names_from_class)


class DeferredKeyPair:
    """The key pair moto keeps for a KMS key, generated on first use.

    moto 5.2.5 generates a key pair at every CreateKey, a 2048-bit RSA pair for a symmetric key
    too (about 65 ms of CPU each), though only an asymmetric key's Sign, Verify and GetPublicKey
    use it."""

    def __init__(self, key_spec: str):
        self._key_spec = key_spec
        self._pair: Any = None

    def __getattr__(self, name: str) -> Any:
        # Only what the instance lacks: the pair's methods (a copy looks for dunders before init).
        if name.startswith("_"):
            raise AttributeError(name)
        if self._pair is None:
            self._pair = generate_private_key(self._key_spec)
        return getattr(self._pair, name)
