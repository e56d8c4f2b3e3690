"""Create or change a person at the provider: password, name, address, groups, active."""

from django.contrib.auth.models import Group, User
from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "Create or change a person at the test identity provider."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password")
        parser.add_argument("--email")
        parser.add_argument("--first-name")
        parser.add_argument("--last-name")
        parser.add_argument("--groups", help="comma-separated group names; empty for none")
        parser.add_argument("--rename", help="a new username")
        parser.add_argument("--inactive", action="store_true")
        parser.add_argument("--active", action="store_true")

    def handle(self, *args, username, **options):
        user, _ = User.objects.get_or_create(username=username)
        if options["password"]:
            user.set_password(options["password"])
        for field in ("email", "first_name", "last_name"):
            if options[field] is not None:
                setattr(user, field, options[field])
        if options["rename"]:
            user.username = options["rename"]
        if options["inactive"]:
            user.is_active = False
        if options["active"]:
            user.is_active = True
        user.save()
        if options["groups"] is not None:
            names = [name for name in options["groups"].split(",") if name]
            user.groups.set([Group.objects.get_or_create(name=name)[0] for name in names])
