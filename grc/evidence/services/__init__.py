"""Every change of the evidence app goes through a service here that writes the record and the audit
trail: ``packs`` (request, build, verify), ``grants`` (auditor access), ``audits`` (audits,
findings, remediation, approval, closure) and ``letters`` (the signed certification letter)."""
