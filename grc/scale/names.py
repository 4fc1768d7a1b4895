"""Made-up names for the scale organisation: people, departments, systems, assets (no real person)."""

from __future__ import annotations

FIRST_NAMES = (
    "Aaliyah Aaron Abel Ada Adrian Aiko Alba Alec Alice Amara Amir Ana Anders Anika Anton Arjun Astrid Aya Ben Bianca "
    "Bruno Caleb Camila Carlos Chen Chiara Chloe Dara Daniel Dev Diego Dina Elena Eli Emil Emma Erik Esra Ezra Farah "
    "Felix Femi Finn Freya Gabriel Gita Grace Hana Hugo Ida Ikram Ines Ivan Jae Jamal Jana Javier Jin Joao Jonas Jun "
    "Kai Kamal Kara Kenji Kira Lara Leila Leo Lena Liam Lina Luca Lucia Maya Mateo Mei Mila Mira Nadia Nia Nikhil Noah "
    "Noor Olga Omar Oscar Pablo Priya Quinn Rafael Rania Ravi Rosa Rui Sade Sam Sara Selin Sven Tara Theo Tomas Una "
    "Vera Viktor Wen Yara Yusuf Zara Zoe"
).split()
LAST_NAMES = (
    "Abbott Adeyemi Ahmed Alvarez Andersen Aoki Baker Banerjee Barros Becker Bianchi Bauer Castro Chen Costa Dahl Diaz "
    "Dubois Eklund Evans Farouk Fischer Fonseca Garcia Gupta Haddad Hansen Hoffmann Horvat Ibrahim Ito Jansen Jensen "
    "Kaur Kim Kowalski Kruger Larsen Lopez Lund Maier Martins Mendes Meyer Moreau Nakamura Navarro Nguyen Novak Nowak "
    "Okafor Olsen Ortiz Park Patel Perez Petrov Quinn Ramos Reyes Rossi Said Sato Schmidt Shah Silva Singh Sorensen "
    "Suzuki Takahashi Tan Torres Varga Vogel Wagner Walsh Weber Wong Yamamoto Yilmaz Zhang Ziegler"
).split()
DEPARTMENTS = (
    "Engineering",
    "Operations",
    "Customer support",
    "Warehouse",
    "Sales",
    "Finance",
    "Marketing",
    "Data",
    "People",
    "Security",
)
SYSTEM_NAMES = (
    "Google Workspace",
    "AWS production",
    "AWS staging",
    "Seller Central integration",
    "Order DB",
    "Okta",
    "GitHub",
    "Slack",
    "Jira",
    "Confluence",
    "Zendesk",
    "Salesforce",
    "HubSpot",
    "NetSuite",
    "Shopify admin",
    "ShipStation",
    "Warehouse management",
    "Returns portal",
    "Data warehouse",
    "Looker",
    "Tableau",
    "Snowflake",
    "Datadog",
    "PagerDuty",
    "Sentry",
    "Cloudflare",
    "1Password",
    "Jamf",
    "Intune",
    "CrowdStrike",
    "Backup vault",
    "SFTP gateway",
    "Label printer service",
    "Repricing engine",
    "Inventory sync",
    "Payments gateway",
    "Tax engine",
    "Customer email relay",
    "Support knowledge base",
    "HR system",
    "Payroll",
    "Expense system",
    "BI exports share",
    "Fraud screening",
    "Address validation",
    "Carrier API hub",
    "Reviews tool",
    "Advertising console",
    "Listing optimiser",
    "Catalogue PIM",
    "Feed manager",
    "Dispute desk",
    "VPN",
    "Bastion hosts",
    "Kubernetes production",
    "CI runners",
    "Container registry",
    "Secrets manager",
    "Log archive",
    "Call centre telephony",
)
PRIVILEGES = (
    ("User", False),
    ("Member", False),
    ("Read only", False),
    ("Viewer", False),
    ("Editor", False),
    ("Analyst", False),
    ("Agent", False),
    ("Developer", False),
    ("Operator", False),
    ("Admin", True),
    ("Owner", True),
    ("PowerUserAccess", True),
)
SERVICE_PURPOSES = (
    "nightly order import",
    "label printing",
    "backup job",
    "CI deployments",
    "monitoring agent",
    "report export",
)
INCIDENT_TITLES = (
    "Phishing email clicked by a staff member",
    "Laptop lost on public transport",
    "Unusual order export volume",
    "Service token seen from an unknown network",
    "Misdirected email with order details",
    "Failed sign-ins from many addresses",
    "Vendor reported a breach",
    "Public bucket found by scanner",
    "Malware alert on a warehouse PC",
    "Shared drive link opened outside the company",
)
INCIDENT_TYPES = ("Phishing", "Lost or stolen device", "Unauthorised access", "Data disclosure", "Malware", "Third-party breach")


def person_name(n: int) -> tuple[str, str]:
    """A deterministic, varied (first, last) for person number ``n``."""
    return FIRST_NAMES[(n * 7) % len(FIRST_NAMES)], LAST_NAMES[(n * 13 + n // len(FIRST_NAMES)) % len(LAST_NAMES)]


def system_name(n: int) -> str:
    base = SYSTEM_NAMES[n % len(SYSTEM_NAMES)]
    return base if n < len(SYSTEM_NAMES) else f"{base} {n // len(SYSTEM_NAMES) + 1}"
