"""Create one demo user per role, for the example data. Never for production use."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from plans import roles
from plans.io.parsing import owner_key
from plans.models import Owner

# (username, full name, role, posts the user holds in the example plans)
DEMO_USERS = [
    ("director", "Dana Director", roles.SERVICE_DIRECTOR, ["Service Director – Practice"]),
    ("director2", "Sam Second", roles.SERVICE_DIRECTOR, ["Service Director QA"]),
    ("qa", "Quinn QA", roles.QA_LEAD, []),
    ("clerk", "Cleo Clerk", roles.COMMITTEE_CLERK, []),
    ("board", "Bo Board", roles.BOARD_MEMBER, []),
    ("admin", "Ada Administrator", roles.PLAN_ADMINISTRATOR, []),
]


class Command(BaseCommand):
    help = "Create demo users for each role (password from DEMO_PASSWORD or 'demo-pass-2024')."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo-pass-2024")
        User = get_user_model()
        rows = []
        with transaction.atomic():
            for username, full_name, role, posts in DEMO_USERS:
                first, last = full_name.split(" ", 1)
                user, _ = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@example.org",
                        "is_staff": role == roles.PLAN_ADMINISTRATOR,
                    },
                )
                user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=role)])
                for post in posts:
                    owner = Owner.objects.filter(key=owner_key(post)).first()
                    if owner and owner.user_id != user.pk:
                        owner.user = user
                        owner.person_name = owner.person_name or full_name
                        owner._change_reason = "demo user linked to post"
                        owner.save()
                rows.append((username, role, ", ".join(posts) or "-"))
        self.stdout.write(f"Demo users (password: {password}):")
        for username, role, posts in rows:
            self.stdout.write(f"  {username:<10} {role:<20} {posts}")
