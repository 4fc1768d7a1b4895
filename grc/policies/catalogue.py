"""The document types the portal ships with, as data (loaded by migrations and by seed_demo).

Every governed document of the programme is one of these types (issue 15): the IR plan (DPP 1.6),
the privacy and data-handling policy and the data classification policy (2.2), acceptable use for
staff, the access-control policy (1.2/1.3), the risk-management process (1.6), the
vulnerability-management runbook and the backup and restore plan (2.7). Each reuses versions,
required sections and signed reviews; what differs is data: the sections, lists and numeric values
(``fields``, e.g. RTO/RPO) it must contain, its review period (IR plan 6 months, the others 12)
and obligation kind, whether a major change opens a review, and whether staff must acknowledge
a new version by default. ``required_by_dpp`` (catalogue only) says whether the DPP itself asks
for the document: without one its clause is not met, otherwise only at risk.

``document_types_ensure()`` creates the missing ones and never overwrites an existing row (the
security lead may have adapted section help texts).
"""

from __future__ import annotations

from grc.classification import LEVELS
from grc.policies.models import DocumentType

IR_PLAN = "ir_plan"
PRIVACY_POLICY = "privacy_policy"
DATA_CLASSIFICATION = "data_classification"
VULN_RUNBOOK = "vuln_runbook"
RISK_PROCESS = "risk_process"
ACCESS_CONTROL = "access_control"
ACCEPTABLE_USE = "acceptable_use"
BACKUP_RESTORE = "backup_restore"

DEFAULT_INCIDENT_TYPES = [
    "Unauthorised access to Amazon Information",
    "Data leak or exfiltration of Information",
    "Compromised credentials or account takeover",
    "Malware or ransomware",
    "Lost or stolen device",
    "Exploited application vulnerability",
    "Third-party or supply-chain compromise",
    "Denial of service",
    "Insider misuse",
    "Other security event",
]


def _section(key: str, title: str, help: str, *, required: bool = True) -> dict:
    return {"key": key, "title": title, "help": help, "required": required}


BUILTIN_TYPES: list[dict] = [
    {
        "code": IR_PLAN,
        "name": "Incident response plan",
        "description": "The plan/runbook to detect and handle Security Incidents (DPP 1.6). Reviewed and verified every six "
        "months and after any major infrastructure or system change.",
        "clause": "1.6",
        "review_period_months": 6,
        "review_kind": "policies.ir_plan_review",
        "reviews_after_major_change": True,
        "position": 10,
        "required_by_dpp": True,
        "sections": [
            {
                "key": "roles",
                "title": "Roles and responsibilities",
                "help": "Who leads the response, who investigates, who decides on notification, who keeps the evidence. Name roles and role mailboxes.",
                "required": True,
            },
            {
                "key": "procedures",
                "title": "Response procedures per incident type",
                "help": "For each incident type: detect, contain, eradicate, recover, and what evidence to collect (with chain of custody).",
                "required": True,
            },
            {
                "key": "escalation",
                "title": "Escalation path to Amazon",
                "help": "How and by whom a Security Incident is escalated to Amazon: email 3p-security@amazon.com within 24 hours of "
                "detection. We never speak for Amazon to authorities or customers unless Amazon asks in writing.",
                "required": True,
            },
            {
                "key": "alarms",
                "title": "Investigating monitoring alarms",
                "help": "How alarms from log monitoring are investigated and documented (DPP 2.6).",
                "required": False,
            },
            {
                "key": "regulatory",
                "title": "Regulatory notifications",
                "help": "Which authorities we must inform under local law, and who does it.",
                "required": False,
            },
        ],
        "lists": [
            {
                "key": "incident_types",
                "title": "Incident types that may affect Amazon",
                "help": "One type per line. Incident triage offers exactly these types.",
                "required": True,
                "default": DEFAULT_INCIDENT_TYPES,
            }
        ],
    },
    {
        "code": PRIVACY_POLICY,
        "name": "Privacy and data-handling policy",
        "description": "How we collect, use, keep, share and dispose of Information and PII, the customer's consent and "
        "data rights (access, rectify, erase, stop processing), and how we detect and comply with the privacy and security "
        "laws that apply to us (DPP 2.2). Staff acknowledge each new version.",
        "clause": "2.2",
        "review_period_months": 12,
        "review_kind": "policies.document_review",
        "acknowledgement_default": True,
        "required_by_dpp": True,
        "position": 20,
        "sections": [
            _section("scope", "Scope and applications", "Which applications, services and teams this policy governs."),
            _section(
                "data_and_purposes",
                "Information we handle and why",
                "The Information and PII we receive from the Amazon Services API and the purposes we use it for (order "
                "fulfilment, tax invoices and remittance, legal requirements). Refer to the record of processing.",
            ),
            _section(
                "consent",
                "Customer consent",
                "When and how consent is obtained and recorded where a law requires it, and how it is withdrawn.",
            ),
            _section(
                "data_rights",
                "Data-subject rights and requests",
                "How a request to access, rectify, erase or stop processing is received (usually through the Authorized "
                "User), how identity is verified without keeping identity documents, who answers, and the response deadline.",
            ),
            _section(
                "retention",
                "Retention and disposal",
                "PII is kept no longer than 30 days after order delivery unless a law requires longer (DPP 2.1); how it is "
                "deleted, and how printed documents are shredded.",
            ),
            _section("sharing", "Sharing and transfers", "Who PII is shared with (carriers, tax services) and under which safeguards."),
            _section(
                "legal_compliance",
                "Detecting and complying with laws and regulations",
                "How we learn which privacy and security laws apply, who tracks changes, and where the evidence of "
                "compliance is kept (DPP 2.2).",
            ),
            _section(
                "confidentiality",
                "Confidentiality of staff",
                "Employment and contractor contracts of everyone who processes PII contain a confidentiality clause (DPP 2.2).",
            ),
            _section("contacts", "Contacts", "The privacy contact (a role mailbox, never a person's address).", required=False),
        ],
        "lists": [
            {
                "key": "laws",
                "title": "Laws and regulations that apply",
                "help": "One per line, e.g. UK GDPR, Data Protection Act 2018, VAT record-keeping rules.",
                "required": True,
                "default": [],
            }
        ],
    },
    {
        "code": DATA_CLASSIFICATION,
        "name": "Data classification policy",
        "description": "The classification levels of the portal (the same ones the inventory's data stores are given) and "
        "the technical controls and conduct each level requires (DPP 2.2).",
        "clause": "2.2",
        "review_period_months": 12,
        "review_kind": "policies.document_review",
        "acknowledgement_default": True,
        "required_by_dpp": True,
        "position": 30,
        "sections": [
            *[
                _section(
                    f"level_{level.code}",
                    f"{level.name}: what it covers and how it is handled",
                    f"{level.description} Starting point for the handling rules: {level.handling}",
                )
                for level in LEVELS
            ],
            _section(
                "labelling",
                "Classifying and labelling",
                "Who decides a level, how data stores and documents are labelled, and that combined data takes the highest "
                "level present (DPP 2: PII combined with non-PII makes the whole store PII).",
            ),
            _section("exceptions", "Exceptions", "How an exception is requested, approved and recorded.", required=False),
        ],
        "lists": [],
    },
    {
        "code": VULN_RUNBOOK,
        "name": "Vulnerability-management runbook",
        "description": "The plan/runbook to detect and remediate vulnerabilities (DPP 2.7): scans every 180 days, a "
        "penetration test every 365 days, a code scan before each release, remediation deadlines, and change control "
        "of storage hardware.",
        "clause": "2.7",
        "review_period_months": 12,
        "review_kind": "policies.vuln_runbook_review",
        "reviews_after_major_change": True,
        "required_by_dpp": True,
        "position": 40,
        "sections": [
            _section("scope", "Scope", "The hardware, systems and code covered; physical hardware holding PII is always in scope."),
            _section("scanning", "Vulnerability scanning", "Tools, targets and schedule: at least every 180 days."),
            _section("pentest", "Penetration testing", "Who tests, what, and how often: at least every 365 days."),
            _section("code_scanning", "Code scanning before release", "Which scanners run on each release and what blocks a release."),
            _section(
                "remediation",
                "Triage and remediation deadlines",
                "Severity rating and the fix deadline per severity (the portal's finding due dates), exceptions and re-testing.",
            ),
            _section(
                "change_control",
                "Change control of storage hardware",
                "Changes to storage hardware are tested, verified and approved, and only named people may perform them (DPP 2.7).",
            ),
            _section("roles", "Roles and responsibilities", "Who runs scans, who triages, who approves exceptions."),
        ],
        "lists": [],
    },
    {
        "code": RISK_PROCESS,
        "name": "Risk-management process",
        "description": "How risks are assessed (threats, vulnerabilities, likelihood and impact), tracked in the risk "
        "register and treated, and the annual senior-management review (DPP 1.6).",
        "clause": "1.6",
        "review_period_months": 12,
        "review_kind": "policies.risk_process_review",
        "required_by_dpp": True,
        "position": 50,
        "sections": [
            _section("scope", "Scope and method", "What the assessment covers and the method followed."),
            _section("threats", "Threats and vulnerabilities", "How potential threats and vulnerabilities are identified."),
            _section("scales", "Likelihood and impact", "The likelihood and impact scales and how they combine into a risk level."),
            _section("register", "Risk register and tracking", "How known risks are recorded, owned and tracked."),
            _section(
                "treatment", "Treatment and acceptance", "Treatment options, who may accept a risk, and when accepted risks are revisited."
            ),
            _section(
                "management_review",
                "Senior-management review",
                "Senior management reviews the risk assessment at least annually (DPP 1.6): who, how, and what is recorded.",
            ),
        ],
        "lists": [],
    },
    {
        "code": ACCESS_CONTROL,
        "name": "Access-control policy",
        "description": "Formal access registration with a unique id per person, no generic or shared accounts, least "
        "privilege on a need-to-know basis, MFA and password rules, quarterly access reviews and removal within 24 hours "
        "of termination (DPP 1.2-1.4).",
        "clause": "1.2",
        "review_period_months": 12,
        "review_kind": "policies.access_policy_review",
        "acknowledgement_default": True,
        "required_by_dpp": False,
        "position": 60,
        "sections": [
            _section("registration", "Access registration", "How access is requested, approved and recorded; one unique id per person."),
            _section(
                "no_shared_accounts", "No generic, shared or default accounts", "How generic and shared accounts are prevented and found."
            ),
            _section(
                "least_privilege", "Least privilege and need-to-know", "How rights are scoped and elevated rights approved (DPP 1.3)."
            ),
            _section(
                "authentication",
                "Passwords and MFA",
                "Twelve characters or more of every class, no part of the user's name, minimum age 1 day, expiry within 365 "
                "days, MFA on every account, Amazon API keys encrypted and reachable only by those who need them (DPP 1.4).",
            ),
            _section("reviews", "Quarterly access reviews", "Who reviews which accounts every quarter and how decisions are carried out."),
            _section("leavers", "Leavers", "Access of a terminated person is disabled or removed within 24 hours."),
            _section("devices", "Personal devices", "Information is not stored on personal devices (DPP 1.2)."),
            _section("lockout", "Account lockout", "Lockout after repeated failed sign-ins and anomalous use.", required=False),
        ],
        "lists": [],
    },
    {
        "code": ACCEPTABLE_USE,
        "name": "Acceptable use policy for staff",
        "description": "What every member of staff with system access must and must not do with Information, PII, devices "
        "and credentials. Everyone acknowledges each new version.",
        "clause": "2.2",
        "review_period_months": 12,
        "review_kind": "policies.document_review",
        "acknowledgement_default": True,
        "required_by_dpp": False,
        "position": 70,
        "sections": [
            _section("scope", "Who it applies to", "Employees and contractors with access to our systems or to Information."),
            _section(
                "information",
                "Handling Information and PII",
                "Use Information only for the purpose it was given for; follow the classification levels; no copies outside "
                "approved stores.",
            ),
            _section(
                "devices",
                "Devices and removable media",
                "Company devices with disk encryption and anti-malware; no Information on personal devices, removable media or "
                "public links (DPP 2.3).",
            ),
            _section(
                "credentials", "Accounts and credentials", "Never share accounts or passwords; MFA always on; report lost devices at once."
            ),
            _section(
                "incidents", "Reporting incidents", "Report anything suspicious at once through the portal's Report an incident page."
            ),
            _section("printing", "Printed documents", "Printed documents with PII are kept locked away and shredded (DPP 2.3)."),
            _section(
                "monitoring", "Monitoring and consequences", "What is logged and what happens when the policy is broken.", required=False
            ),
        ],
        "lists": [],
    },
    {
        "code": BACKUP_RESTORE,
        "name": "Backup and restore plan",
        "description": "How availability of and access to PII is restored in a timely manner after a physical or technical "
        "incident (DPP 2.7), with the recovery time and recovery point objectives.",
        "clause": "2.7",
        "review_period_months": 12,
        "review_kind": "policies.backup_plan_review",
        "required_by_dpp": True,
        "position": 80,
        "sections": [
            _section("scope", "Systems and data stores covered", "Every data store holding PII or Amazon Information."),
            _section("backup", "Backup procedure", "Schedule, encryption of backups, where they are kept, and how long."),
            _section("restore", "Restore procedure", "Step by step, who may restore, and how the restore is verified."),
            _section("testing", "Restore tests", "How often a restore is tested and where the results are recorded."),
            _section("roles", "Roles and responsibilities", "Who runs backups and restores, and who is called out.", required=False),
        ],
        "lists": [],
        "fields": [
            {
                "key": "rto_hours",
                "title": "Recovery time objective (RTO)",
                "unit": "hours",
                "help": "The longest time a PII system may be unavailable after an incident.",
                "required": True,
            },
            {
                "key": "rpo_hours",
                "title": "Recovery point objective (RPO)",
                "unit": "hours",
                "help": "The most data, in hours, that may be lost: at most the time between two backups.",
                "required": True,
            },
        ],
    },
]

BUILTIN_BY_CODE = {entry["code"]: entry for entry in BUILTIN_TYPES}
CATALOGUE_ONLY_KEYS = {"code", "required_by_dpp"}


def required_by_dpp(code: str) -> bool:
    """Whether the DPP itself asks for a document of this type (types the lead added: no)."""
    return bool(BUILTIN_BY_CODE.get(code, {}).get("required_by_dpp", False))


def type_defaults(entry: dict, model) -> dict:
    """The entry's values for the columns ``model`` has (a migration's model may have fewer)."""
    names = {field.name for field in model._meta.get_fields()}
    return {key: value for key, value in entry.items() if key not in CATALOGUE_ONLY_KEYS and key in names}


def create_missing_types(model) -> int:
    """Create the built-in types missing from ``model`` (the real model or a migration's)."""
    made = 0
    for entry in BUILTIN_TYPES:
        _, created = model.objects.get_or_create(code=entry["code"], defaults=type_defaults(entry, model))
        made += int(created)
    return made


def document_types_ensure() -> int:
    return create_missing_types(DocumentType)
