"""The question areas of the developer profile's security questionnaire, in the order they are asked.

One per DPP clause, plus the topics Amazon's follow-up questions ask about. The key is stable
(answers and snapshots refer to it); the question and hint can be reworded freely.
"""

from __future__ import annotations

from grc.kit.questionnaire.base import Area

AREAS: list[Area] = [
    # --- the DPP clauses --------------------------------------------------------------------------------
    Area(
        "network",
        "How do you protect your network (firewalls, access lists, segmentation, anti-malware) and train everyone with system access?",
        "1.1",
        "Name the firewall / security-group setup and how segmentation separates systems holding Information.",
    ),
    Area(
        "access",
        "How do you register, review and remove access to Amazon Information?",
        "1.2",
        "Describe the access request route and who approves it.",
    ),
    Area(
        "least_privilege",
        "How do you grant access on a need-to-know basis (least privilege)?",
        "1.3",
        "Describe the roles of your application and who may assign them.",
    ),
    Area(
        "credentials",
        "How do you manage credentials, MFA, and the API keys Amazon provides?",
        "1.4",
        "Name the secrets manager or vault that holds the Amazon credentials.",
    ),
    Area(
        "transit",
        "How is Information encrypted in transit?",
        "1.5",
        "Name the load balancer / TLS policy and any internal channels (SSH-2, SFTP).",
    ),
    Area(
        "risk_ir",
        "How do you manage risk and respond to security incidents?",
        "1.6",
        "Summarise the escalation path to Amazon (3p-security@amazon.com within 24 hours).",
    ),
    Area(
        "deletion",
        "How do you delete Information when Amazon asks?",
        "1.7",
        "Name the sanitisation method (NIST 800-88 Clear/Purge/Destroy) for each kind of store.",
    ),
    Area(
        "attribution",
        "How do you store Amazon Information separately or tag its origin?",
        "1.8",
        "Describe the tagging mechanism where stores are shared.",
    ),
    Area(
        "retention",
        "How long do you keep PII, and how is it purged?",
        "2.1",
        "Describe the purge job and any legal requirement to keep data longer.",
    ),
    Area(
        "governance",
        "How do you govern privacy and data handling (policy, record of processing, data-subject requests)?",
        "2.2",
        "Mention the confidentiality clauses in employment contracts.",
    ),
    Area(
        "assets",
        "How do you keep your asset inventory and baseline configurations current?",
        "2.3",
        "Describe the baseline standard (e.g. CIS benchmark) and name the DLP tools behind the recorded controls.",
    ),
    Area(
        "encryption_rest",
        "How is PII encrypted at rest, and who can use the keys?",
        "2.4",
        "Name the key management service and the roles that may use the keys.",
    ),
    Area(
        "secure_coding",
        "What are your secure coding practices?",
        "2.5",
        "Describe code review and the secret-scanning step of your CI.",
    ),
    Area(
        "logging",
        "How do you log, monitor and review security events?",
        "2.6",
        "Name the log store and SIEM, if any.",
    ),
    Area(
        "vulnerability",
        "How do you find and fix vulnerabilities?",
        "2.7",
        "Name the scanning tools and the firm that runs the penetration test.",
    ),
    Area(
        "audit",
        "Which records do you keep to show compliance, and for how long?",
        "3",
        "Say who answers Amazon's audit requests (a role, not a name).",
    ),
    # --- follow-up topics -------------------------------------------------------------------------------
    Area(
        "pii_need",
        "Why does your application need PII?",
        "2",
        "Say which tax or merchant-fulfilled shipping tasks need which fields.",
    ),
    Area(
        "sharing",
        "Who do you share the data with?",
        "2.2",
        "Name the categories of recipients (carriers, tax services) and the contracts with them.",
    ),
    Area(
        "storage",
        "Where is the data stored, and how is it encrypted?",
        "2.4",
        "Name the cloud provider and regions.",
    ),
    Area(
        "backups",
        "How are backups made, encrypted, and where are they kept?",
        "2.7",
        "Say where the backup site is and how far it is from the primary (a separate region).",
    ),
    Area(
        "rto_rpo",
        "What are your recovery time and recovery point objectives (RTO/RPO)?",
        "2.7",
        "Say how the objectives were chosen.",
    ),
    Area(
        "monitoring_ir",
        "Summarise your monitoring and incident response.",
        "2.6",
        "Say who is on call for alarms (a role).",
    ),
    Area(
        "passwords",
        "What are your password rules?",
        "1.4",
        "Add what the control register does not record (password history, how MFA is enrolled).",
    ),
    Area(
        "pii_testing",
        "How do you protect PII in testing?",
        "2.5",
        "Describe how test data is generated or masked.",
    ),
    Area(
        "credentials_code",
        "How do you keep credentials out of your code?",
        "2.5",
        "Name the secret scanner in CI and where applications read secrets from at run time.",
    ),
    Area(
        "fix_tracking",
        "How do you track fixes from vulnerability scans and penetration tests?",
        "2.7",
        "Say how fixes are verified (a re-scan or re-test).",
    ),
    Area(
        "change_owner",
        "Who owns change management, and how are changes controlled?",
        "2.7",
        "Name the owner by role and the approval step for changes to storage hardware.",
    ),
    Area(
        "other_sources",
        "Do you combine Amazon data with data from other sources?",
        "1.8",
        "Name the non-Amazon sources (other marketplaces, your own shop).",
    ),
]
AREAS_BY_KEY = {area.key: area for area in AREAS}
