"""tools.sources: the construction site of a resource, as the synth records it."""

from types import SimpleNamespace

from settings.stack_config import ROOT
from tools.sources import SourceSites


def _construct(sites: SourceSites, type_: str, name: str) -> int:
    """A constructor call as the SDK makes it: the transformation runs below this frame."""
    sites._note(SimpleNamespace(type_=type_, name=name))  # noqa: SLF001 (the transformation itself)
    return _construct.__code__.co_firstlineno + 2


def test_the_site_is_the_innermost_frame_of_the_repository_relative_to_its_root():
    sites = SourceSites()
    line = _construct(sites, "aws:s3/bucket:Bucket", "logs")
    assert sites.of("aws:s3/bucket:Bucket", "logs") == {"file": "tests/test_sources.py", "line": line}


def test_a_resource_never_seen_has_no_site():
    assert SourceSites().of("aws:s3/bucket:Bucket", "logs") is None


def test_one_name_created_in_two_places_has_no_site():
    sites = SourceSites()
    _construct(sites, "aws:s3/bucket:Bucket", "logs")
    sites._note(SimpleNamespace(type_="aws:s3/bucket:Bucket", name="logs"))  # noqa: SLF001
    assert sites.of("aws:s3/bucket:Bucket", "logs") is None


def test_code_outside_the_root_is_never_a_site(tmp_path):
    sites = SourceSites(root=tmp_path)
    _construct(sites, "aws:s3/bucket:Bucket", "logs")
    assert (sites.of("aws:s3/bucket:Bucket", "logs"), ROOT.is_relative_to(tmp_path)) == (None, False)
