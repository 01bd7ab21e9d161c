"""The profile's defaults under a stack file: what a stack file leaves out, and what it gets wrong."""

from __future__ import annotations

from settings import load_settings
from tests.support import WEB_SERVICE, config_with, rejection


def test_a_service_without_a_kind_is_a_web_service_with_the_web_defaults():
    web = {key: value for key, value in WEB_SERVICE.items() if key != "kind"}
    [service] = load_settings("prod", config_with("prod", {"webapp:services": [web]})).services
    assert service.kind == "web"
    assert (service.cpu, service.memory, service.min_count, service.max_count) == (2048, 4096, 4, 20)
    assert service.bake_time_minutes == 10


def test_a_worker_gets_the_worker_defaults_of_its_profile():
    # Staging has no interface endpoints: its services egress through NAT.
    web = {**WEB_SERVICE, "egressToInternet": True}
    worker = {**web, "name": "jobs", "kind": "worker"}
    services = load_settings("staging", config_with("staging", {"webapp:services": [web, worker]})).services
    assert [(s.cpu, s.memory, s.max_count) for s in services] == [(512, 1024, 4), (256, 512, 2)]


def test_a_key_left_empty_keeps_the_profile_default():
    # `multiAz:` without a value is YAML's null: the profile's value stays.
    assert load_settings("prod", config_with("prod", {"webapp:database": {"multiAz": None}})).database.multi_az


def test_a_section_that_is_not_a_mapping_is_rejected_by_name():
    assert rejection("prod", {"webapp:network": "big"}) == [
        "prod: network: input should be a valid dictionary or instance of NetworkSettings (got big)"
    ]


def test_a_service_that_is_not_a_mapping_is_rejected_by_its_index():
    assert rejection("prod", {"webapp:services": [WEB_SERVICE, "jobs"]}) == [
        "prod: services[1]: input should be a valid dictionary or instance of ServiceSettings (got jobs)"
    ]


def test_a_stack_without_services_is_told_they_are_required():
    # The profile's per-kind service defaults are no list of services to fall back on.
    assert rejection("prod", {"webapp:services": None}) == ["prod: services: required (got nothing)"]
