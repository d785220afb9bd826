"""Webhook signing secrets encrypted at rest: every existing plaintext secret is encrypted
into ``secret_encrypted`` (partnerhub.webhooks.crypto), then the plaintext column is
dropped. Reversible: going back decrypts them into the old column."""

from django.db import migrations, models


def encrypt_existing(apps, schema_editor):
    from partnerhub.webhooks.crypto import secret_encrypt

    endpoints = apps.get_model("webhooks", "WebhookEndpoint")._base_manager
    for pk, secret in endpoints.values_list("pk", "secret").iterator():
        endpoints.filter(pk=pk).update(secret_encrypted=secret_encrypt(secret))


def decrypt_existing(apps, schema_editor):
    from partnerhub.webhooks.crypto import secret_decrypt

    endpoints = apps.get_model("webhooks", "WebhookEndpoint")._base_manager
    for pk, token in endpoints.values_list("pk", "secret_encrypted").iterator():
        endpoints.filter(pk=pk).update(secret=secret_decrypt(token))


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_webhookendpoint_webhookdelivery_and_more")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(max_length=100, default=""),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
    ]
