"""Set up the provider: a signing key and the product's registration (client)."""

from django.core.management import BaseCommand, call_command
from oidc_provider.models import Client, ResponseType, RSAKey


class Command(BaseCommand):
    help = "Create the signing key and the product's client registration."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--secret", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True)

    def handle(self, *args, **options):
        if not RSAKey.objects.exists():
            call_command("creatersakey")
        client, _ = Client.objects.update_or_create(
            client_id=options["client_id"],
            defaults={
                "name": "Improvement plans",
                "client_type": "confidential",
                "client_secret": options["secret"],
                "jwt_alg": "RS256",
                "require_consent": False,
                "reuse_consent": True,
            },
        )
        client.redirect_uris = options["redirect_uri"]
        client.scope = ["openid", "profile", "email"]
        client.save()
        client.response_types.set([ResponseType.objects.get(value="code")])
