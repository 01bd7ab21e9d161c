"""The pack's decoding of analyzer messages (policies/webapp_policies/wire.py): what each policy
receives is what pulumi-policy's own decoding gives, a copy of its own, however often the same
message is decoded."""

from __future__ import annotations

from types import ModuleType

import pytest
from google.protobuf import json_format, struct_pb2

from policies.webapp_policies import wire


def _struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


PROPERTIES = {
    "bucket": "webapp-prod-logs",
    "versioning": {"enabled": True, "mfaDelete": False},
    "tags": {"Name": "logs", "Environment": "prod"},
    "retentionInDays": 365.0,
    "ratio": 0.1,
    "rules": [{"id": "expire", "days": 30.0, "prefix": None}, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"],
}


@pytest.fixture
def sdk() -> ModuleType:
    module = ModuleType("pulumi_policy.policy")
    setattr(module, "json_format", json_format)  # noqa: B010 (a stand-in for the SDK module)
    wire.install(module)
    return module


def test_a_message_decodes_as_protobufs_own_decoding(sdk: ModuleType) -> None:
    message = _struct(PROPERTIES)
    assert sdk.json_format.MessageToDict(message) == json_format.MessageToDict(message)


def test_numbers_stay_floats_and_nulls_stay_none(sdk: ModuleType) -> None:
    decoded = sdk.json_format.MessageToDict(_struct(PROPERTIES))
    assert type(decoded["retentionInDays"]) is float
    assert decoded["rules"][0]["prefix"] is None


def test_each_caller_gets_its_own_copy(sdk: ModuleType) -> None:
    message = _struct(PROPERTIES)
    first = sdk.json_format.MessageToDict(message)
    first["versioning"]["enabled"] = False
    first["rules"].clear()
    again = sdk.json_format.MessageToDict(message)
    assert again == json_format.MessageToDict(message)


def test_different_messages_of_the_same_shape_decode_differently(sdk: ModuleType) -> None:
    assert sdk.json_format.MessageToDict(_struct({"port": 5432.0})) == {"port": 5432.0}
    assert sdk.json_format.MessageToDict(_struct({"port": 6379.0})) == {"port": 6379.0}


def test_decoding_options_go_to_protobuf_undecoded_once(sdk: ModuleType) -> None:
    message = _struct({"a": 1.0})
    assert sdk.json_format.MessageToDict(message, preserving_proto_field_name=True) == {"a": 1.0}


def test_the_rest_of_json_format_is_protobufs(sdk: ModuleType) -> None:
    assert sdk.json_format.ParseDict is json_format.ParseDict


def test_an_sdk_without_protobufs_json_format_is_refused() -> None:
    module = ModuleType("pulumi_policy.policy")
    setattr(module, "json_format", ModuleType("something_else"))  # noqa: B010 (not protobuf's)
    with pytest.raises(RuntimeError, match="the SDK changed"):
        wire.install(module)
