"""The choices of the asset inventory (kinds, hardware, encryption, TLS, data stores …).

Plain ``TextChoices`` with no model behind them, shared by the models (``assets.models.inventory``
re-exports them) and the pure flag rules of ``assets.flags``, which the models call: kept here so
neither imports the other in a cycle.
"""

from __future__ import annotations

from django.db import models


class AssetKind(models.TextChoices):
    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software / service"
    DATA_STORE = "data_store", "Data store"
    CREDENTIAL = "credential", "Credential"
    ENDPOINT = "endpoint", "Endpoint"
    REMOVABLE_MEDIA = "removable_media", "Removable media"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    TEST = "test", "Test"


class HardwareType(models.TextChoices):
    LAPTOP = "laptop", "Laptop"
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile device"
    SERVER = "server", "Server"
    NETWORK = "network", "Network device"
    OTHER = "other", "Other hardware"


END_USER_DEVICES = (HardwareType.LAPTOP, HardwareType.DESKTOP, HardwareType.MOBILE)


class Ownership(models.TextChoices):
    COMPANY = "company", "Company owned"
    PERSONAL = "personal", "Personal (BYOD)"


class EncryptionAlgorithm(models.TextChoices):
    AES = "aes", "AES"
    RSA = "rsa", "RSA"
    OTHER = "other", "Other"


class CredentialType(models.TextChoices):
    AMAZON_LWA = "amazon_lwa", "Amazon SP-API / LWA client secret"
    AWS_ACCESS_KEY = "aws_access_key", "AWS access key"
    API_KEY = "api_key", "Other API key"
    PASSWORD = "password", "Service password"
    CERTIFICATE = "certificate", "Certificate / private key"
    ENCRYPTION_KEY = "encryption_key", "Encryption key"
    OTHER = "other", "Other secret"


AMAZON_CREDENTIALS = (CredentialType.AMAZON_LWA,)  # "API keys provided by Amazon" (DPP 1.4): the SP-API app credentials


class TlsVersion(models.TextChoices):
    NONE = "none", "No TLS (plain)"
    TLS10 = "1.0", "TLS 1.0"
    TLS11 = "1.1", "TLS 1.1"
    TLS12 = "1.2", "TLS 1.2"
    TLS13 = "1.3", "TLS 1.3"


class StoreType(models.TextChoices):
    DATABASE = "database", "Database"
    BUCKET = "bucket", "Object storage bucket"
    FILE_SHARE = "file_share", "File share"
    WAREHOUSE = "warehouse", "Data warehouse"
    BACKUP = "backup", "Backup store"
    SPREADSHEET = "spreadsheet", "Spreadsheet / document"
    OTHER = "other", "Other"


class Attribution(models.TextChoices):
    SEPARATE = "separate", "Separate store for Amazon Information"
    TAGGED = "tagged", "Records tagged with their origin"
    NONE = "none", "Neither separated nor tagged"
