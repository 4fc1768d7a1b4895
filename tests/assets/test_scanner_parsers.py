"""The scanner parsers (DPP 2.7) against one real-format sample per tool under ``scan_samples/``:
what each report yields, that auto-detection picks the right parser, and that broken, truncated,
hostile or mismatched files are refused with a clear message. Pure functions: no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import override_settings

from assets import scanners
from assets.scanners import FORMATS, ScanFormatError, detect_format, parse
from assets.scanners.base import (
    REFERENCE_MAX,
    SEVERITIES,
    TITLE_MAX,
    ParsedFinding,
    build_scan,
    make_finding,
    parse_timestamp,
    severity_from_cvss,
    severity_from_word,
)

SAMPLES = Path(__file__).parent / "scan_samples"
SAMPLE_FORMATS = {
    "trivy.json": "trivy",
    "grype.json": "grype",
    "sarif_codeql.sarif": "sarif",
    "sarif_bandit.sarif": "sarif",
    "nessus.nessus": "nessus_xml",
    "nessus.csv": "nessus_csv",
    "openvas.xml": "openvas",
    "zap.json": "zap",
    "dependabot.json": "dependabot",
    "inspector2.json": "inspector2",
    "prowler_ocsf.json": "prowler",
    "securityhub_asff.json": "securityhub",
}
XML_FORMATS = ("nessus_xml", "openvas")
JSON_FORMATS = ("trivy", "grype", "sarif", "zap", "dependabot", "inspector2", "prowler", "securityhub")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def by_reference(scan: scanners.ParsedScan) -> dict[str, ParsedFinding]:
    return {f.reference: f for f in scan.findings}


# --- the registry -------------------------------------------------------------------------------


def test_it_registers_every_format_with_a_label_a_parser_and_an_export_hint():
    assert set(FORMATS) == {
        "trivy",
        "grype",
        "sarif",
        "nessus_xml",
        "nessus_csv",
        "openvas",
        "zap",
        "dependabot",
        "inspector2",
        "prowler",
        "securityhub",
    }
    for key, (label, module, how) in FORMATS.items():
        assert label and how and "\n" not in how, key
        assert callable(module.parse) and callable(module.looks_like), key


def test_every_format_has_a_small_sample():
    assert set(SAMPLE_FORMATS.values()) == set(FORMATS)
    for name in SAMPLE_FORMATS:
        assert (SAMPLES / name).stat().st_size < 20 * 1024, name


@pytest.mark.parametrize(("name", "key"), SAMPLE_FORMATS.items())
def test_it_detects_the_format_of_every_sample(name, key):
    assert detect_format(sample(name)) == key


@pytest.mark.parametrize(("name", "key"), SAMPLE_FORMATS.items())
def test_only_the_own_parser_recognises_a_sample(name, key):
    data = sample(name)
    claimed = [k for k, (_label, module, _how) in FORMATS.items() if module.looks_like(data)]
    assert claimed == [key]


@pytest.mark.parametrize(("name", "key"), SAMPLE_FORMATS.items())
def test_auto_and_explicit_format_give_the_same_scan(name, key):
    auto, explicit = parse(sample(name)), parse(sample(name), format=key)
    assert auto.format == explicit.format == key
    assert auto.findings == explicit.findings


@pytest.mark.parametrize(("name", "key"), SAMPLE_FORMATS.items())
def test_fingerprints_are_stable_across_two_parses_and_unique_within_one(name, key):
    first, second = parse(sample(name)), parse(sample(name))
    prints = [f.fingerprint(first.tool) for f in first.findings]
    assert prints == [f.fingerprint(second.tool) for f in second.findings]
    assert len(set(prints)) == len(prints)


@pytest.mark.parametrize(("name", "key"), SAMPLE_FORMATS.items())
def test_every_finding_keeps_the_contract(name, key):
    scan = parse(sample(name))
    assert scan.findings
    assert scan.performed_at is None or scan.performed_at.tzinfo is not None
    for finding in scan.findings:
        assert finding.severity in SEVERITIES
        assert finding.title and len(finding.title) <= TITLE_MAX and "\n" not in finding.title
        assert finding.reference and len(finding.reference) <= REFERENCE_MAX
        assert finding.target == finding.target.strip()
        assert not finding.target or finding.target in scan.targets


def test_unknown_content_is_refused_listing_the_supported_formats():
    with pytest.raises(ScanFormatError) as error:
        detect_format(b'{"hello": "world"}')
    message = str(error.value)
    assert "not recognised" in message
    for label, _module, _how in FORMATS.values():
        assert label in message
    assert "hello" not in message


def test_an_unknown_format_key_is_refused():
    with pytest.raises(ScanFormatError, match="Unknown report format"):
        parse(sample("trivy.json"), format="qualys")


@pytest.mark.parametrize("data", [b"", b"   \n\t"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(ScanFormatError, match="The file is empty"):
        parse(data)
    for key in FORMATS:
        with pytest.raises(ScanFormatError, match="The file is empty"):
            parse(data, format=key)


@override_settings(SCAN_IMPORT_MAX_BYTES=1000)
def test_a_file_over_the_size_limit_is_refused_before_parsing():
    for key in ("auto", "trivy"):
        with pytest.raises(ScanFormatError, match=r"The file is \d+ KB; reports larger than 1 KB are refused"):
            parse(sample("trivy.json"), format=key)


def test_the_size_limit_defaults_to_50_mb():
    assert scanners.max_bytes() == 50 * 1024 * 1024


@override_settings(SCAN_IMPORT_MAX_BYTES=5000)
def test_a_file_under_the_size_limit_is_read():
    assert len(sample("nessus.csv")) < 5000
    assert parse(sample("nessus.csv")).findings


# --- broken, truncated, hostile and mismatched files ---------------------------------------------


@pytest.mark.parametrize("key", JSON_FORMATS)
def test_truncated_json_is_refused_with_the_line(key):
    name = next(n for n, k in SAMPLE_FORMATS.items() if k == key)
    data = sample(name)
    cut = data[: len(data) // 2]
    with pytest.raises(ScanFormatError) as error:
        parse(cut, format=key)
    message = str(error.value)
    assert message.startswith("The file is not valid JSON (it may be cut short): line ")
    assert int(message.rsplit("line ", 1)[1].rstrip(".")) > 1


@pytest.mark.parametrize("key", XML_FORMATS)
def test_broken_xml_is_refused_with_the_line(key):
    name = next(n for n, k in SAMPLE_FORMATS.items() if k == key)
    data = sample(name)
    with pytest.raises(ScanFormatError, match=r"not well-formed XML \(it may be cut short\): line \d+"):
        parse(data[: len(data) // 2], format=key)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<NessusClientData_v2><Report name="x"><ReportHost name="&lol4;"></ReportHost></Report></NessusClientData_v2>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<report><report><results><result><name>&xxe;</name><host>10.0.0.1</host></result></results></report></report>"""


@pytest.mark.parametrize(("data", "key"), [(BILLION_LAUGHS, "nessus_xml"), (XXE, "openvas"), (BILLION_LAUGHS, "auto")])
def test_xml_with_entities_or_a_dtd_is_refused(data, key):
    with pytest.raises(ScanFormatError, match="declares a DTD or entities"):
        parse(data, format=key)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("grype.json", "trivy"),
        ("trivy.json", "grype"),
        ("zap.json", "sarif"),
        ("openvas.xml", "nessus_xml"),
        ("nessus.nessus", "openvas"),
        ("trivy.json", "nessus_csv"),
        ("sarif_codeql.sarif", "zap"),
        ("inspector2.json", "dependabot"),
        ("dependabot.json", "inspector2"),
        ("nessus.csv", "trivy"),
        ("trivy.json", "openvas"),
    ],
)
def test_a_file_of_another_format_is_refused_by_the_chosen_parser(name, key):
    with pytest.raises(ScanFormatError) as error:
        parse(sample(name), format=key)
    message = str(error.value)
    assert message.startswith(("This is not", "The file is not")), message
    assert len(message) < 300
    for finding in parse(sample(name)).findings:  # the message never quotes the file
        assert finding.title not in message


def test_errors_never_echo_the_file_content():
    secret = b"SECRET-TOKEN-abc123"
    for data in (b'{"SchemaVersion": 2, "Results": [' + secret, b"<NessusClientData_v2>" + secret, b"\xff\xfe" + secret):
        with pytest.raises(ScanFormatError) as error:
            parse(data)
        assert "SECRET" not in str(error.value)


def test_utf8_with_a_byte_order_mark_and_utf16_from_powershell_are_read():
    data = sample("inspector2.json")
    for encoded in (b"\xef\xbb\xbf" + data, data.decode().encode("utf-16")):
        scan = parse(encoded)
        assert (scan.format, len(scan.findings)) == ("inspector2", 5)


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ScanFormatError, match="not UTF-8"):
        parse(b'{"findings": "\xff\xfe"}', format="inspector2")


def test_trivy_schema_version_1_is_refused():
    with pytest.raises(ScanFormatError, match="SchemaVersion 2"):
        parse(b'{"SchemaVersion": 1, "Results": []}', format="trivy")


def test_a_nessus_csv_without_the_needed_columns_is_refused_naming_them():
    with pytest.raises(ScanFormatError, match="Plugin Id.*Risk|Risk"):
        parse(b"Plugin ID,Host,Port\n19506,10.0.0.1,0\n", format="nessus_csv")


# --- Trivy ---------------------------------------------------------------------------------------


def test_trivy_reads_vulnerabilities_failed_misconfigurations_and_secrets():
    scan = parse(sample("trivy.json"))
    assert (scan.tool, scan.performed_at) == ("Trivy", datetime(2026, 11, 30, 9, 15, 42, 123456, tzinfo=UTC))
    assert scan.targets == ["registry.example.com/shop/checkout-api:1.8.2"]
    found = by_reference(scan)
    assert len(scan.findings) == 8  # 6 vulnerabilities, 1 FAIL misconfiguration (the PASS one is not), 1 secret
    assert {r: f.severity for r, f in found.items()} == {
        "CVE-2024-2961": "high",
        "CVE-2024-33599": "medium",
        "CVE-2023-45853": "critical",
        "CVE-2011-3374": "low",
        "TEMP-0841856-B18BAF": "info",  # UNKNOWN is kept as info
        "CVE-2024-29041": "medium",
        "AVD-DS-0002": "high",
        "aws-access-key-id": "critical",
    }
    assert "AVD-DS-0026" not in found
    libc = found["CVE-2024-2961"]
    assert (libc.package, libc.location, libc.solution) == ("libc6 2.36-9+deb12u4", "debian", "Upgrade libc6 to 2.36-9+deb12u7")
    assert found["CVE-2024-29041"].location == "app/package-lock.json"
    assert found["AVD-DS-0002"].location == "Dockerfile:1"
    assert all(f.target == "registry.example.com/shop/checkout-api:1.8.2" for f in scan.findings)


def test_trivy_two_cves_in_one_package_are_two_findings():
    libc = [f for f in parse(sample("trivy.json")).findings if f.package.startswith("libc6 ")]
    assert sorted(f.reference for f in libc) == ["CVE-2024-2961", "CVE-2024-33599"]


def test_trivy_never_keeps_the_secret_itself():
    scan = parse(sample("trivy.json"))
    assert "AKIAXXXXSAMPLEKEYXXXX" not in repr(scan)
    secret = by_reference(scan)["aws-access-key-id"]
    assert (secret.title, secret.location) == ("AWS Access Key ID", "app/config/settings.env:3")


def test_trivy_duplicate_findings_merge_keeping_the_highest_severity():
    report = {
        "SchemaVersion": 2,
        "ArtifactName": "app:1",
        "Results": [
            {
                "Target": "a/package-lock.json",
                "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "x", "InstalledVersion": "1", "Severity": "LOW"}],
            },
            {
                "Target": "a/package-lock.json",
                "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "PkgName": "x", "InstalledVersion": "1", "Severity": "HIGH"}],
            },
        ],
    }
    scan = parse(json.dumps(report).encode(), format="trivy")
    assert [(f.reference, f.severity) for f in scan.findings] == [("CVE-1", "high")]


def test_trivy_report_without_results_has_no_findings():
    scan = parse(b'{"SchemaVersion": 2, "ArtifactName": "alpine:3.20", "Results": null}')
    assert (scan.format, scan.findings, scan.targets) == ("trivy", [], ["alpine:3.20"])


# --- Grype ---------------------------------------------------------------------------------------


def test_grype_reads_matches_with_fixes_and_the_image():
    scan = parse(sample("grype.json"))
    assert (scan.tool, scan.tool_version) == ("Grype", "0.79.3")
    assert scan.performed_at == datetime(2026, 11, 29, 13, 2, 11, 483920, tzinfo=UTC)
    assert scan.targets == ["registry.example.com/payments/ledger:2.4.0"]
    found = by_reference(scan)
    assert {r: f.severity for r, f in found.items()} == {
        "CVE-2024-6119": "high",
        "CVE-2024-5535": "critical",
        "GHSA-9wx4-h78v-vm56": "medium",
        "CVE-2023-42363": "info",  # Negligible
        "CVE-2024-58251": "info",  # Unknown
    }
    ssl = found["CVE-2024-6119"]
    assert (ssl.package, ssl.solution, ssl.location) == ("libcrypto3 3.1.4-r5", "Upgrade libcrypto3 to 3.1.7-r0", "/lib/apk/db/installed")
    assert found["CVE-2024-58251"].solution == ""


def test_grype_directory_source_uses_the_path():
    report = {"matches": [], "source": {"type": "directory", "target": "/src/app"}, "descriptor": {"name": "grype", "version": "0.80.0"}}
    assert parse(json.dumps(report).encode(), format="grype").targets == ["/src/app"]


# --- SARIF ---------------------------------------------------------------------------------------


def test_sarif_codeql_uses_security_severity_and_skips_suppressed_results():
    scan = parse(sample("sarif_codeql.sarif"))
    assert (scan.tool, scan.tool_version) == ("CodeQL", "2.19.3")
    assert scan.performed_at == datetime(2026, 11, 28, 22, 40, 5, 117000, tzinfo=UTC)
    assert scan.targets == ["https://github.com/example-shop/checkout-api"]
    assert [(f.reference, f.severity, f.location) for f in scan.findings] == [
        ("py/sql-injection", "high", "checkout/views.py:42"),  # 8.8
        ("py/reflective-xss", "medium", "checkout/views.py:88"),  # 6.1 although the level is error
        ("py/weak-sensitive-data-hashing", "critical", "checkout/auth.py:17"),  # 9.8; the suppressed one is skipped
        ("py/unused-import", "low", "checkout/utils.py:1"),  # note, no security-severity
    ]
    assert scan.findings[0].title == "SQL query built from user-controlled sources"


def test_sarif_bandit_uses_levels():
    scan = parse(sample("sarif_bandit.sarif"))
    assert (scan.tool, scan.tool_version, scan.targets) == ("Bandit", "1.7.10", [])
    assert scan.performed_at == datetime(2026, 11, 27, 8, 0, 12, tzinfo=UTC)
    assert [(f.reference, f.severity, f.location) for f in scan.findings] == [
        ("B105", "low", "tools/setup_db.py:12"),
        ("B602", "high", "tools/backup.py:30"),
    ]
    assert scan.findings[0].title == "Hardcoded password string"  # the rule's name: the message quotes the password
    assert "changeme" not in repr(scan)


@pytest.mark.parametrize(
    ("result", "rule", "expected"),
    [
        ({"level": "error"}, {}, "high"),
        ({"level": "warning"}, {}, "medium"),
        ({"level": "note"}, {}, "low"),
        ({"level": "none"}, {}, "info"),
        ({}, {}, "medium"),  # SARIF's default level is warning
        ({}, {"defaultConfiguration": {"level": "error"}}, "high"),
        ({"level": "note"}, {"properties": {"security-severity": "9.0"}}, "critical"),
        ({"level": "error"}, {"properties": {"security-severity": "3.9"}}, "low"),
        ({"kind": "informational"}, {}, "info"),
    ],
)
def test_sarif_severity(result, rule, expected):
    rule = {"id": "R1", **rule}
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Semgrep OSS", "rules": [rule]}},
                "results": [{"ruleId": "R1", "message": {"text": "m"}, **result}],
            }
        ],
    }
    assert [f.severity for f in parse(json.dumps(log).encode(), format="sarif").findings] == [expected]


def test_sarif_passing_results_are_not_findings():
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "X"}}, "results": [{"ruleId": "R", "kind": "pass", "message": {"text": "ok"}}]}],
    }
    assert parse(json.dumps(log).encode(), format="sarif").findings == []


def test_sarif_other_versions_are_refused():
    with pytest.raises(ScanFormatError, match="2.1.0"):
        parse(b'{"version": "1.0.0", "runs": []}', format="sarif")


# --- Nessus --------------------------------------------------------------------------------------


def test_nessus_xml_reads_hosts_plugins_and_ports():
    scan = parse(sample("nessus.nessus"))
    assert (scan.tool, scan.tool_version) == ("Nessus", "10.8.3")
    assert scan.performed_at == datetime(2026, 11, 30, 8, 25, 2, tzinfo=UTC)
    assert scan.targets == ["10.20.30.41", "app01.corp.example.com", "db01.corp.example.com", "10.20.30.52"]
    assert [(f.reference, f.severity, f.target, f.location) for f in scan.findings] == [
        ("NESSUS-19506", "info", "10.20.30.41", ""),  # severity 0 is kept as info
        ("NESSUS-201194", "high", "10.20.30.41", "22/tcp"),
        ("NESSUS-51192", "medium", "10.20.30.41", "443/tcp"),
        ("NESSUS-15901", "low", "10.20.30.41", "443/tcp"),
        ("NESSUS-187210", "critical", "db01.corp.example.com", "5432/tcp"),
    ]
    ssh = scan.findings[1]
    assert ssh.title == "OpenSSH < 9.8 RCE (CVE-2024-6387, CVE-2024-39894)"
    assert ssh.solution == "Upgrade to OpenSSH version 9.8 / 9.8p1 or later."
    assert scan.findings[0].solution == ""  # "n/a"
    assert scan.findings[4].title.endswith("(CVE-2023-5868, CVE-2023-5869, CVE-2023-5870, +1 more)")


def test_nessus_csv_gives_one_finding_per_plugin_host_and_port():
    scan = parse(sample("nessus.csv"))
    assert (scan.tool, scan.performed_at) == ("Nessus", None)
    assert scan.targets == ["10.20.30.41", "db01.corp.example.com"]
    assert len(scan.findings) == 5  # 9 rows: the two OpenSSH CVE rows and the four PostgreSQL ones are one finding each
    assert [(f.reference, f.severity) for f in scan.findings] == [
        ("NESSUS-19506", "info"),  # Risk None
        ("NESSUS-201194", "high"),
        ("NESSUS-51192", "medium"),
        ("NESSUS-15901", "low"),
        ("NESSUS-187210", "critical"),
    ]
    assert scan.findings[1].title == "OpenSSH < 9.8 RCE (CVE-2024-6387, CVE-2024-39894)"


def test_nessus_csv_and_xml_of_one_scan_give_the_same_fingerprints():
    xml, csv = parse(sample("nessus.nessus")), parse(sample("nessus.csv"))
    assert sorted(f.fingerprint(xml.tool) for f in xml.findings) == sorted(f.fingerprint(csv.tool) for f in csv.findings)


def test_nessus_csv_accepts_tenable_column_names_in_any_order():
    data = b"Host,Severity,Plugin Name,Plugin,Port,Protocol,CVE\n10.0.0.9,Medium,Weak TLS,42873,443,tcp,\n\n"
    scan = parse(data, format="nessus_csv")
    assert [(f.reference, f.severity, f.target, f.location) for f in scan.findings] == [("NESSUS-42873", "medium", "10.0.0.9", "443/tcp")]


# --- Greenbone / OpenVAS -------------------------------------------------------------------------


def test_openvas_reads_results_skips_false_positives_and_keeps_log_as_info():
    scan = parse(sample("openvas.xml"))
    assert (scan.tool, scan.tool_version) == ("Greenbone", "22.5")
    assert scan.performed_at == datetime(2026, 11, 29, 3, 0, 12, tzinfo=UTC)
    assert scan.targets == ["203.0.113.10", "www.example.com", "203.0.113.11", "mail.example.com"]
    assert [(f.reference, f.severity, f.target, f.location) for f in scan.findings] == [
        ("1.3.6.1.4.1.25623.1.0.114662", "critical", "203.0.113.10", "443/tcp"),  # threat High, score 9.1
        ("1.3.6.1.4.1.25623.1.0.103440", "medium", "203.0.113.10", "443/tcp"),
        ("1.3.6.1.4.1.25623.1.0.80091", "low", "203.0.113.10", "general/tcp"),
        ("1.3.6.1.4.1.25623.1.0.105937", "info", "203.0.113.11", "general/tcp"),  # Log
    ]
    assert scan.findings[0].title == "Apache HTTP Server 2.4.0 - 2.4.59 Multiple Vulnerabilities (CVE-2024-38474, CVE-2024-38476)"
    assert scan.findings[0].solution == "Update to version 2.4.60 or later."


# --- ZAP -----------------------------------------------------------------------------------------


def test_zap_reads_one_finding_per_alert_and_skips_false_positives():
    scan = parse(sample("zap.json"))
    assert (scan.tool, scan.tool_version) == ("ZAP", "2.15.0")
    assert scan.performed_at == datetime(2026, 11, 29, 21, 14, 3, 457692, tzinfo=UTC)
    assert scan.targets == ["https://shop.example.com"]
    assert [(f.reference, f.severity) for f in scan.findings] == [
        ("ZAP-40012", "high"),
        ("ZAP-10038-1", "medium"),
        ("ZAP-10096", "low"),
        ("ZAP-10027", "info"),  # Informational
    ]
    assert scan.findings[0].solution.startswith("Phase: Architecture and Design Use a vetted library")
    assert "&amp;" not in scan.findings[0].solution and "<p>" not in scan.findings[0].solution


def test_zap_a_single_site_object_is_read():
    report = json.loads(sample("zap.json"))
    report["site"] = report["site"][0]
    assert len(parse(json.dumps(report).encode(), format="zap").findings) == 4


def test_zap_older_reports_without_created_use_generated():
    report = {"@version": "2.11.1", "@generated": "Tue, 14 May 2024 10:11:12", "site": []}
    assert parse(json.dumps(report).encode()).performed_at == datetime(2024, 5, 14, 10, 11, 12, tzinfo=UTC)


# --- Dependabot ----------------------------------------------------------------------------------


def test_dependabot_keeps_only_open_alerts():
    scan = parse(sample("dependabot.json"))
    assert (scan.tool, scan.performed_at) == ("Dependabot", None)
    assert scan.targets == ["https://github.com/example-shop/checkout-api"]
    assert [(f.reference, f.severity, f.package, f.location) for f in scan.findings] == [
        ("GHSA-5hgc-2vfp-mqvc", "high", "pip:django", "requirements.txt"),
        ("GHSA-x7q2-wr7g-xqmf", "medium", "pip:django", "requirements.txt"),  # moderate
        ("GHSA-c2qf-rxjj-qqgw", "critical", "npm:semver", "frontend/package-lock.json"),
        ("GHSA-35jh-r3h4-6jhm", "low", "npm:lodash.template", "frontend/package-lock.json"),
    ]  # dismissed #12, fixed #9 and auto_dismissed #7 are skipped
    assert scan.findings[0].title.endswith("(CVE-2024-45230)")
    assert scan.findings[0].solution == "Upgrade django to 5.0.9 or later"


def test_dependabot_organisation_export_uses_the_repository_and_paginated_pages():
    alert = json.loads(sample("dependabot.json"))[0]
    other = {**alert, "repository": {"full_name": "example-shop/ledger", "html_url": "https://github.com/example-shop/ledger"}}
    paginated = (json.dumps([alert]) + "\n" + json.dumps([other])).encode()  # gh api --paginate
    slurped = json.dumps([[alert], [other]]).encode()  # gh api --paginate --slurp
    for data in (paginated, slurped):
        scan = parse(data, format="dependabot")
        assert [f.target for f in scan.findings] == [
            "https://github.com/example-shop/checkout-api",
            "https://github.com/example-shop/ledger",
        ]


def test_dependabot_an_empty_list_has_no_findings():
    assert parse(b"[]", format="dependabot").findings == []


# --- Amazon Inspector ----------------------------------------------------------------------------


def test_inspector2_keeps_only_active_findings_and_maps_resources():
    scan = parse(sample("inspector2.json"))
    assert scan.tool == "Amazon Inspector"
    assert scan.performed_at == datetime(2026, 11, 30, 6, 41, 17, 512000, tzinfo=UTC)
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout-api:1.8.2"
    assert scan.targets == ["10.20.30.41", "i-0a1b2c3d4e5f60718", image]
    assert [(f.reference, f.severity, f.target, f.location) for f in scan.findings] == [
        ("CVE-2024-6387", "high", "10.20.30.41", ""),
        ("CVE-2024-39894", "medium", "10.20.30.41", ""),
        ("NETWORK_REACHABILITY", "medium", "10.20.30.41", "22/tcp"),
        ("CVE-2023-45853", "critical", image, ""),
        ("CVE-2026-12345", "info", image, "app/node_modules/express/package.json"),  # UNTRIAGED
    ]  # SUPPRESSED CVE-2024-2961 and CLOSED CVE-2023-4641 are skipped
    ssh = scan.findings[0]
    assert (ssh.package, ssh.solution) == ("openssh-server 8.9p1-3ubuntu0.6", "Upgrade openssh-server to 1:8.9p1-3ubuntu0.10")
    assert scan.findings[1].solution == ""  # NotAvailable and "None Provided"


def test_inspector2_classic_inspector_output_is_refused():
    with pytest.raises(ScanFormatError, match="Inspector"):
        parse(b'{"findings": [{"arn": "arn:aws:inspector:us-west-2:1:finding/0"}]}', format="inspector2")


# --- severity mapping and helpers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("CRITICAL", "critical"),
        ("High", "high"),
        ("medium", "medium"),
        ("moderate", "medium"),
        ("Low", "low"),
        ("Negligible", "info"),
        ("UNKNOWN", "info"),
        ("None", "info"),
        ("INFORMATIONAL", "info"),
        ("Informational", "info"),
        ("info", "info"),
        ("UNTRIAGED", "info"),
        ("Log", "info"),
        ("Debug", "info"),
        ("", "info"),
        (None, "info"),
        ("bogus", "info"),
    ],
)
def test_severity_from_word(word, expected):
    assert severity_from_word(word) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (10, "critical"),
        ("9.0", "critical"),
        (8.9, "high"),
        (7.0, "high"),
        (6.9, "medium"),
        ("4.0", "medium"),
        (3.9, "low"),
        (0.1, "low"),
        (0, "info"),
        ("", "info"),
        (None, "info"),
        ("n/a", "info"),
        ("nan", "info"),
    ],
)
def test_severity_from_cvss(score, expected):
    assert severity_from_cvss(score) == expected


def test_make_finding_cuts_titles_and_references_and_strips_targets():
    finding = make_finding(title="t" * 500 + "\nsecond line", reference="R" * 100, severity="urgent", target="  host01  ")
    assert len(finding.title) == TITLE_MAX and finding.title.endswith("…")
    assert len(finding.reference) == REFERENCE_MAX
    assert (finding.target, finding.severity) == ("host01", "info")


def test_build_scan_merges_same_fingerprint_keeping_the_most_urgent():
    low = make_finding(title="a", reference="CVE-1", severity="low", target="h", package="p 1")
    critical = make_finding(title="b", reference="cve-1", severity="critical", target="H", package="P 1")
    other = make_finding(title="c", reference="CVE-2", severity="medium", target="h", package="p 1")
    scan = build_scan(format="x", tool="T", performed_at=None, targets=["h", "h", " "], findings=[low, critical, other])
    assert [(f.reference, f.severity, f.title) for f in scan.findings] == [("CVE-1", "critical", "a"), ("CVE-2", "medium", "c")]
    assert scan.targets == ["h"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30T09:15:42.123456789Z", datetime(2026, 11, 30, 9, 15, 42, 123456, tzinfo=UTC)),
        ("2026-11-29T14:02:11+01:00", datetime(2026, 11, 29, 13, 2, 11, tzinfo=UTC)),
        ("Sun, 29 Nov 2026 21:14:03", datetime(2026, 11, 29, 21, 14, 3, tzinfo=UTC)),
        ("Sun Nov 30 08:25:02 2026", datetime(2026, 11, 30, 8, 25, 2, tzinfo=UTC)),
        ("1796027102", datetime(2026, 11, 30, 8, 25, 2, tzinfo=UTC)),
        ("", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == expected


def test_a_finding_keeps_its_fingerprint_across_image_tags_and_package_bumps():
    """A CVE still present after a new image tag or a package upgrade is the same finding (its
    remediation clock must not restart), while another target or CVE is another finding."""
    from assets.scanners.base import ParsedFinding

    before = ParsedFinding(
        title="t", reference="CVE-2024-1", severity="high", target="registry.example.com/app:1.4", package="openssl 3.0.2"
    )
    after = ParsedFinding(
        title="t2", reference="CVE-2024-1", severity="critical", target="registry.example.com/app:1.5@sha256:abc", package="openssl 3.0.7"
    )
    other_image = ParsedFinding(
        title="t", reference="CVE-2024-1", severity="high", target="registry.example.com/api:1.4", package="openssl 3.0.2"
    )
    url = ParsedFinding(title="t", reference="10020", severity="low", target="https://shop.example.com:8443", package="")
    url_other_port = ParsedFinding(title="t", reference="10020", severity="low", target="https://shop.example.com:9443", package="")
    assert before.fingerprint("Trivy") == after.fingerprint("Trivy")
    assert before.fingerprint("Trivy") != other_image.fingerprint("Trivy")
    assert url.fingerprint("ZAP") != url_other_port.fingerprint("ZAP")
