"""Cloud-posture findings (issue 25 item 2): Prowler's JSON-OCSF output and AWS Security Hub's
ASFF export read into findings that carry the DPP clause from the shipped mapping table, detected
automatically, refused when broken, and imported like scanner findings (fingerprints: twice adds
nothing, a later full-scope export closes what it no longer fails)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from django.utils import timezone

from assets.models import Finding, FindingStatus
from assets.scanners import FORMATS, ScanFormatError, detect_format, parse, prowler, securityhub
from assets.scanners.base import stable_target
from assets.scanners.dpp_clauses import PROWLER, SECURITYHUB, SECURITYHUB_PRODUCTS, control_id, dpp_clause, product_clause
from assets.services.scan_import import scan_import
from grc.accounts.models import User
from grc.compliance.requirements import requirement_data
from tests.assets.conftest import NOW

SAMPLES = Path(__file__).parent / "scan_samples"
PROWLER_SAMPLE = SAMPLES / "prowler_ocsf.json"
SECURITYHUB_SAMPLE = SAMPLES / "securityhub_asff.json"
ACCOUNT = "123456789012"


def by_reference(data: bytes) -> dict[str, object]:
    return {finding.reference: finding for finding in parse(data).findings}


def prowler_export(*, fixed: tuple[str, ...] = (), drop: tuple[str, ...] = (), time_dt: str = "2027-03-09T06:00:00") -> bytes:
    """The Prowler sample run again at ``time_dt``: the checks ``fixed`` now PASS, ``drop`` are gone."""
    results = [r for r in json.loads(PROWLER_SAMPLE.read_bytes()) if r["metadata"]["event_code"] not in drop]
    for result in results:
        result["time_dt"] = time_dt
        if result["metadata"]["event_code"] in fixed:
            result["status_code"] = "PASS"
    return json.dumps(results).encode()


def securityhub_export(*, fixed: tuple[str, ...] = (), updated: str = "2027-03-09T07:15:00.000Z") -> bytes:
    """The Security Hub sample fetched again: the controls ``fixed`` are now PASSED."""
    document = json.loads(SECURITYHUB_SAMPLE.read_bytes())
    for finding in document["Findings"]:
        finding["UpdatedAt"] = updated
        if finding.get("Compliance", {}).get("SecurityControlId") in fixed:
            finding["Compliance"]["Status"] = "PASSED"
    return json.dumps(document).encode()


# --- registry and detection -------------------------------------------------------------------


def test_both_formats_are_registered_with_a_one_line_export_hint():
    assert FORMATS["prowler"][1] is prowler and "--output-formats json-ocsf" in FORMATS["prowler"][2]
    assert FORMATS["securityhub"][1] is securityhub and "aws securityhub get-findings" in FORMATS["securityhub"][2]
    assert all("\n" not in FORMATS[key][2] for key in ("prowler", "securityhub"))


@pytest.mark.parametrize(("path", "key"), [(PROWLER_SAMPLE, "prowler"), (SECURITYHUB_SAMPLE, "securityhub")])
def test_detection_picks_the_format_and_no_other_parser_claims_the_sample(path, key):
    data = path.read_bytes()
    assert detect_format(data) == key
    assert [k for k, (_label, module, _how) in FORMATS.items() if module.looks_like(data)] == [key]
    assert parse(data).format == key


@pytest.mark.parametrize("path", sorted(p for p in SAMPLES.iterdir() if p.name not in ("prowler_ocsf.json", "securityhub_asff.json")))
def test_the_new_parsers_do_not_claim_any_other_sample(path):
    data = path.read_bytes()
    assert not prowler.looks_like(data) and not securityhub.looks_like(data)


# --- Prowler ----------------------------------------------------------------------------------


def test_prowler_fail_results_become_findings_with_severity_target_region_and_clause():
    scan = parse(PROWLER_SAMPLE.read_bytes())
    assert scan.tool == "Prowler" and scan.tool_version == "5.9.2" and scan.performed_at.isoformat() == "2027-03-08T06:00:00+00:00"
    found = {f.reference: (f.severity, f.clause) for f in scan.findings}
    assert found == {
        "iam_root_mfa_enabled": ("critical", "1.4"),
        "iam_user_mfa_enabled_console_access": ("high", "1.4"),
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": ("high", "1.1"),
        "s3_bucket_default_encryption": ("medium", "2.4"),
        "cloudwatch_log_group_retention_policy_specific_days_enabled": ("medium", "2.6"),
        "cloudtrail_insights_exist": ("info", ""),  # Informational is kept; an unmapped check has no clause
    }
    root = by_reference(PROWLER_SAMPLE.read_bytes())["iam_root_mfa_enabled"]
    assert root.target == f"arn:aws:iam::{ACCOUNT}:root" and root.location == "us-east-1" and root.package == ""
    assert root.title == "Root account has MFA enabled" and root.solution.startswith("Enable MFA for the root user")
    bucket = by_reference(PROWLER_SAMPLE.read_bytes())["s3_bucket_default_encryption"]
    assert bucket.target == "arn:aws:s3:::shop-order-exports" and bucket.location == "eu-west-1"


def test_prowler_pass_manual_and_muted_results_are_not_findings_but_their_resources_stay_in_scope():
    scan = parse(PROWLER_SAMPLE.read_bytes())
    references = {f.reference for f in scan.findings}
    for skipped in ("s3_bucket_public_access", "rds_instance_storage_encrypted"):  # PASS
        assert skipped not in references
    assert "account_security_contact_information_is_registered" not in references  # MANUAL
    assert "ec2_ebs_default_encryption" not in references  # FAIL, but muted (status Suppressed)
    assert ACCOUNT in scan.targets and f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:orders-db" in scan.targets


def test_a_prowler_result_without_a_resource_targets_the_account():
    results = json.loads(PROWLER_SAMPLE.read_bytes())[:1]
    results[0]["resources"] = []
    (finding,) = parse(json.dumps(results).encode(), format="prowler").findings
    assert finding.target == ACCOUNT and finding.location == "us-east-1"


def test_prowler_v3_output_or_another_json_is_refused_with_a_clear_message():
    v3 = json.dumps([{"finding": {"title": "x", "uid": "y"}, "status": "Success", "class_uid": 2001}]).encode()
    with pytest.raises(ScanFormatError, match="Prowler 4 or later"):
        parse(v3, format="prowler")
    with pytest.raises(ScanFormatError, match="not a Prowler JSON-OCSF report"):
        parse(SECURITYHUB_SAMPLE.read_bytes(), format="prowler")


# --- Security Hub -----------------------------------------------------------------------------


def test_security_hub_failed_controls_and_product_findings_become_findings_with_their_clause():
    scan = parse(SECURITYHUB_SAMPLE.read_bytes())
    assert scan.tool == "AWS Security Hub" and scan.performed_at.isoformat() == "2027-03-08T07:15:00+00:00"
    found = {f.reference: (f.severity, f.clause) for f in scan.findings}
    assert found == {
        "IAM.6": ("critical", "1.4"),
        "EC2.19": ("critical", "1.1"),
        "S3.8": ("high", "1.1"),
        "CloudTrail.4": ("low", "2.6"),
        "ECR.1": ("high", "2.7"),  # a standard-specific finding: the control id from ProductFields.ControlId
        "EC2.8": ("medium", ""),  # failed but unmapped: still a finding, no clause
        "UnauthorizedAccess:EC2-SSHBruteForce": ("low", "2.6"),  # GuardDuty, no Compliance: by its product
    }


def test_security_hub_passed_archived_and_suppressed_records_are_skipped():
    references = set(by_reference(SECURITYHUB_SAMPLE.read_bytes()))
    assert not references & {"RDS.3", "S3.5", "KMS.4"}  # PASSED, ARCHIVED, SUPPRESSED
    scan = parse(SECURITYHUB_SAMPLE.read_bytes())
    assert "arn:aws:s3:::shop-legacy-reports" not in scan.targets  # archived: out of the scope too


@pytest.mark.parametrize(("status", "counted"), [("PASSED", False), ("WARNING", False), ("NOT_AVAILABLE", False), ("FAILED", True)])
def test_only_a_failed_compliance_status_counts_whatever_the_workflow(status, counted):
    record = json.loads(SECURITYHUB_SAMPLE.read_bytes())["Findings"][0]  # IAM.6, workflow NEW
    record["Compliance"]["Status"] = status
    assert [f.reference for f in parse(json.dumps({"Findings": [record]}).encode()).findings] == (["IAM.6"] if counted else [])


def test_an_account_level_control_targets_the_account_id_and_resources_their_arn():
    found = by_reference(SECURITYHUB_SAMPLE.read_bytes())
    assert found["IAM.6"].target == ACCOUNT and found["IAM.6"].location == "us-east-1"
    assert found["S3.8"].target == "arn:aws:s3:::shop-order-exports" and found["S3.8"].location == "eu-west-1"


def test_prowlers_own_asff_list_and_a_normalized_severity_are_read_too():
    document = json.loads(SECURITYHUB_SAMPLE.read_bytes())
    record = document["Findings"][0] | {"GeneratorId": "prowler-iam_root_hardware_mfa_enabled", "Severity": {"Normalized": 72}}
    record["Compliance"] = {"Status": "FAILED"}
    (finding,) = parse(json.dumps([record]).encode()).findings
    assert finding.reference == "prowler-iam_root_hardware_mfa_enabled" and finding.clause == "1.4" and finding.severity == "high"


def test_security_hub_with_another_shape_is_refused():
    with pytest.raises(ScanFormatError, match="no Findings list"):
        parse(b'{"NextToken": "x"}', format="securityhub")
    with pytest.raises(ScanFormatError, match="lack ProductArn"):
        parse(b'{"Findings": [{"Id": "x"}]}', format="securityhub")


# --- both -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "key"), [(PROWLER_SAMPLE, "prowler"), (SECURITYHUB_SAMPLE, "securityhub")])
@pytest.mark.parametrize("format", ["auto", "explicit"])
def test_a_truncated_export_is_refused_with_the_line(path, key, format):
    data = path.read_bytes()
    with pytest.raises(ScanFormatError, match=r"not valid JSON \(it may be cut short\): line \d+"):
        parse(data[: len(data) // 2], format=key if format == "explicit" else "auto")


@pytest.mark.parametrize("path", [PROWLER_SAMPLE, SECURITYHUB_SAMPLE])
def test_fingerprints_are_stable_across_parses_unique_and_ignore_the_clause(path):
    first, second = parse(path.read_bytes()), parse(path.read_bytes())
    prints = [f.fingerprint(first.tool) for f in first.findings]
    assert prints == [f.fingerprint(second.tool) for f in second.findings] and len(set(prints)) == len(prints)
    remapped = replace(first.findings[0], clause="2.7")
    assert remapped.fingerprint(first.tool) == prints[0]


def test_the_same_check_on_two_path_less_arns_is_two_findings():
    results = json.loads(PROWLER_SAMPLE.read_bytes())
    bucket = next(r for r in results if r["metadata"]["event_code"] == "s3_bucket_default_encryption")
    other = json.loads(json.dumps(bucket))
    other["resources"][0]["uid"] = "arn:aws:s3:::shop-invoices"
    scan = parse(json.dumps([bucket, other]).encode())
    assert sorted(f.target for f in scan.findings) == ["arn:aws:s3:::shop-invoices", "arn:aws:s3:::shop-order-exports"]
    assert stable_target("arn:aws:rds:eu-west-1:1:db:orders") == "arn:aws:rds:eu-west-1:1:db:orders"
    assert stable_target("registry.example.com/app:1.4") == "registry.example.com/app"  # images still lose their tag


# --- the mapping table ------------------------------------------------------------------------


def test_every_mapped_clause_is_a_clause_of_the_dpp_catalogue():
    clauses = {item["clause"] for item in requirement_data()}
    for table in (PROWLER, SECURITYHUB, SECURITYHUB_PRODUCTS):
        assert set(table.values()) <= clauses, set(table.values()) - clauses


def test_the_table_keys_are_well_formed_and_cover_the_common_checks():
    assert len(PROWLER) >= 40 and len(SECURITYHUB) >= 40
    assert all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", check) for check in PROWLER), [c for c in PROWLER if not c.islower()]
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*\.\d+", control) for control in SECURITYHUB)
    expected = {
        "iam_root_mfa_enabled": "1.4",
        "iam_no_root_access_key": "1.4",
        "iam_password_policy_minimum_length_14": "1.4",
        "iam_user_accesskey_unused": "1.2",
        "ec2_securitygroup_allow_ingress_from_internet_to_any_port": "1.1",
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389": "1.1",
        "s3_account_level_public_access_blocks": "1.1",
        "rds_instance_no_public_access": "1.1",
        "s3_bucket_secure_transport_policy": "1.5",
        "elbv2_insecure_ssl_ciphers": "1.5",
        "rds_instance_storage_encrypted": "2.4",
        "ec2_ebs_volume_encryption": "2.4",
        "kms_cmk_rotation_enabled": "2.4",
        "awslambda_function_no_secrets_in_variables": "2.5",
        "ec2_instance_secrets_user_data": "2.5",
        "cloudtrail_multi_region_enabled": "2.6",
        "guardduty_is_enabled": "2.6",
        "inspector2_is_enabled": "2.7",
        "ecr_repositories_scan_images_on_push_enabled": "2.7",
    }
    assert {check: PROWLER.get(check) for check in expected} == expected
    for control, clause in {"IAM.1": "1.3", "IAM.4": "1.4", "EC2.7": "2.4", "S3.5": "1.5", "KMS.4": "2.4", "GuardDuty.1": "2.6"}.items():
        assert SECURITYHUB[control] == clause


def test_dpp_clause_reads_control_ids_in_every_form_and_unknown_ones_are_none():
    assert dpp_clause("prowler", "iam_root_mfa_enabled") == "1.4"
    assert dpp_clause("prowler", "some_future_check") is None
    assert dpp_clause("securityhub", "IAM.6") == dpp_clause("securityhub", "iam.6") == "1.4"
    assert dpp_clause("securityhub", "security-control/S3.8") == "1.1"
    assert dpp_clause("securityhub", "aws-foundational-security-best-practices/v/1.0.0/CloudTrail.4") == "2.6"
    assert dpp_clause("securityhub", "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.14") is None
    assert dpp_clause("securityhub", "prowler-kms_cmk_rotation_enabled") == "2.4"
    assert dpp_clause("trivy", "CVE-2024-1234") is None
    assert control_id("1.14") == "" and control_id("security-control/ECR.1") == "ECR.1"
    assert product_clause("arn:aws:securityhub:eu-west-1::product/aws/inspector") == "2.7"
    assert product_clause("arn:aws:securityhub:eu-west-1::product/aws/macie") is None


# --- importing (the existing scanner-import service) --------------------------------------------


def test_a_prowler_export_imports_once_a_rerun_adds_nothing_and_a_full_scope_rerun_closes_what_now_passes(lead):
    first, summary = scan_import(data=prowler_export(time_dt="2027-03-08T06:00:00"), filename="p1.json", by=lead, now=NOW, full_scope=True)
    assert (summary.created, summary.informational) == (6, 1) and first.tool == "Prowler"
    _, again = scan_import(data=prowler_export(), filename="p2.json", by=lead, now=NOW, full_scope=True)
    assert (again.created, again.updated, again.closed_fixed) == (0, 6, 0) and Finding.objects.count() == 6
    fixed = ("iam_root_mfa_enabled", "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22")
    later, closing = scan_import(
        data=prowler_export(fixed=fixed, time_dt="2027-03-09T18:00:00"), filename="p3.json", by=lead, now=NOW, full_scope=True
    )
    assert (closing.created, closing.closed_fixed) == (0, 2)
    closed = Finding.objects.filter(status=FindingStatus.FIXED)
    assert {f.reference for f in closed} == set(fixed) and all(f.fixed_by_scan == later for f in closed)
    assert Finding.objects.filter(status=FindingStatus.OPEN).count() == 3


def test_a_security_hub_export_imports_once_and_a_smaller_full_scope_export_closes_the_rest(lead):
    _, summary = scan_import(data=SECURITYHUB_SAMPLE.read_bytes(), filename="sh1.json", by=lead, now=NOW, full_scope=True)
    assert summary.created == 7 and Finding.objects.filter(tool="AWS Security Hub").count() == 7
    _, again = scan_import(data=securityhub_export(), filename="sh2.json", by=lead, now=NOW, full_scope=True)
    assert (again.created, again.closed_fixed) == (0, 0) and Finding.objects.count() == 7
    _, closing = scan_import(
        data=securityhub_export(fixed=("IAM.6", "S3.8"), updated="2027-03-09T20:00:00.000Z"),
        filename="sh3.json",
        by=lead,
        now=NOW,
        full_scope=True,
    )
    assert closing.closed_fixed == 2 and set(Finding.objects.filter(status=FindingStatus.FIXED).values_list("reference", flat=True)) == {
        "IAM.6",
        "S3.8",
    }


def test_with_the_account_as_the_scope_a_rerun_that_no_longer_lists_a_resource_closes_its_finding(lead):
    scan_import(data=prowler_export(time_dt="2027-03-08T06:00:00"), filename="p1.json", by=lead, now=NOW, full_scope=True, scope=ACCOUNT)
    _, summary = scan_import(
        data=prowler_export(drop=("s3_bucket_default_encryption",)), filename="p2.json", by=lead, now=NOW, full_scope=True, scope=ACCOUNT
    )
    assert summary.closed_fixed == 1
    assert Finding.objects.get(reference="s3_bucket_default_encryption").status == FindingStatus.FIXED


def test_an_imported_cloud_finding_carries_its_dpp_clause_to_the_finding_and_the_api(db, settings, tmp_path):
    """The clause of the mapping table is stored on the finding (shown on its page, in the API)."""
    settings.MEDIA_ROOT = tmp_path
    lead = User.objects.create_user(username="cloud-lead", email="lead@example.com")
    scan_import(data=(SAMPLES / "prowler_ocsf.json").read_bytes(), filename="prowler.json", format="prowler", by=lead, now=timezone.now())
    root_mfa = Finding.objects.get(reference="iam_root_mfa_enabled")
    assert root_mfa.clause == "1.4"
    assert set(Finding.objects.values_list("clause", flat=True)) <= {"1.1", "1.2", "1.3", "1.4", "1.5", "2.4", "2.5", "2.6", "2.7", ""}
