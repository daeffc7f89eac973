"""The package's promises about itself: docstrings everywhere public, stubs shipped,
nothing faked for the parts that wait on other work."""

import importlib
import inspect
from pathlib import Path

import pytest

MODULES = [
    "wary",
    "wary.etree",
    "wary.defusedxml",
    "wary.defusedxml.common",
    "wary.defusedxml.ElementTree",
    "wary.defusedxml.minidom",
    "wary.defusedxml.sax",
    "wary.smtp",
    "wary.smtp_client",
    "wary.smtp_send",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_and_class_has_a_docstring(name):
    mod = importlib.import_module(name)
    assert inspect.getdoc(mod), name
    missing = []
    for attr in getattr(mod, "__all__", []):
        obj = getattr(mod, attr, None) or importlib.import_module(name + "." + attr)
        if inspect.ismodule(obj):
            assert inspect.getdoc(obj), attr
            continue
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if obj.__module__.startswith("xml."):
            continue  # re-exported from the stdlib
        if not inspect.getdoc(obj):
            missing.append(attr)
        if inspect.isclass(obj):
            for m, f in vars(obj).items():
                if inspect.isfunction(f) and not m.startswith("_") and not inspect.getdoc(f):
                    missing.append("%s.%s" % (attr, m))
    assert not missing, missing


def test_stubs_and_py_typed_are_installed():
    import wary

    root = Path(wary.__file__).parent
    assert (root / "py.typed").exists()
    for stub in ["etree.pyi", "_wary.pyi", "defusedxml/ElementTree.pyi", "defusedxml/sax.pyi",
                 "defusedxml/minidom.pyi", "defusedxml/common.pyi", "smtp.pyi",
                 "smtp_client.pyi", "smtp_send.pyi"]:
        assert (root / stub).exists(), stub


def test_the_feed_based_parsers_are_wary_own():
    # Not the stdlib's expat-based classes re-exported: wary's, over wary-xml's push parser.
    import xml.etree.ElementTree as StdET

    import wary.defusedxml.ElementTree as DET
    import wary.etree as ET

    for name in ("XMLPullParser", "XMLParser"):
        assert getattr(ET, name) is not getattr(StdET, name)
        assert getattr(ET, name).__module__ == "wary._feed"
    for name in ("XMLParser", "DefusedXMLParser", "XMLParse", "XMLTreeBuilder"):
        assert issubclass(getattr(DET, name), ET.XMLParser)
