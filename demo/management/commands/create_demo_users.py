"""Create one demo user per role, for the example data, in the council that owns the
example plans; and a partner officer (a health board's) with the 2015 plan shared with
their organisation, who sees that plan only. Never for production use."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from demo.examples import example_organisation
from plans import roles
from plans.io.parsing import owner_key
from plans.models import Membership, Organisation, Owner, Plan

# (username, full name, role, posts the user holds in the example plans)
DEMO_USERS = [
    ("director", "Dana Director", roles.SERVICE_DIRECTOR, ["Service Director – Practice"]),
    ("director2", "Sam Second", roles.SERVICE_DIRECTOR, ["Service Director QA"]),
    ("qa", "Quinn QA", roles.QA_LEAD, []),
    ("clerk", "Cleo Clerk", roles.COMMITTEE_CLERK, []),
    ("board", "Bo Board", roles.BOARD_MEMBER, []),
    ("admin", "Ada Administrator", roles.PLAN_ADMINISTRATOR, []),
    ("partner", "Pat Partner", roles.BOARD_MEMBER, []),
]
# The partner officer's organisation, and the example plan shared with it.
PARTNER = "Example Integrated Care Board"
SHARED_PLAN = "ofsted-2015"


class Command(BaseCommand):
    help = "Create demo users for each role (password from DEMO_PASSWORD or 'demo-pass-2024')."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo-pass-2024")
        User = get_user_model()
        rows = []
        with transaction.atomic():
            council = example_organisation()
            partner = Organisation.named(PARTNER)
            shared = Plan.objects.filter(slug=SHARED_PLAN).first()
            if shared is not None:
                shared.partners.add(partner)
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
                Membership.objects.update_or_create(
                    user=user,
                    defaults={"organisation": partner if username == "partner" else council},
                )
                for post in posts:
                    owner = Owner.objects.filter(key=owner_key(post)).first()
                    if owner and owner.user_id != user.pk:
                        owner.user = user
                        owner.person_name = owner.person_name or full_name
                        owner._change_reason = "demo user linked to post"
                        owner.save()
                rows.append((username, role, ", ".join(posts) or "-"))
        rows[-1] = (*rows[-1][:2], f"{PARTNER}: sees {SHARED_PLAN} only")
        self.stdout.write(f"Demo users (password: {password}):")
        for username, role, posts in rows:
            self.stdout.write(f"  {username:<10} {role:<20} {posts}")
