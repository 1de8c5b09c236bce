"""Factories for people and groups. Traits: ``UserFactory(pupil=True, klasse="5a")``."""

from __future__ import annotations

from typing import Any, cast

import factory
from django.contrib.auth.hashers import make_password

from schulhof.accounts.models import Group, GroupKind, Membership, Role, User

DEFAULT_PASSWORD = "Richtig-Gutes-Passwort-42"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: "Gruppe %d" % n)
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    kind = GroupKind.CUSTOM

    class Params:
        klasse = factory.Trait(kind=GroupKind.CLASS, has_folder=True, has_mail=True)
        year = factory.Trait(kind=GroupKind.YEAR)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="de_DE")
    last_name = factory.Faker("last_name", locale="de_DE")
    username = factory.Sequence(lambda n: "person.nummer%d" % n)
    role = Role.TEACHER
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))

    class Params:
        pupil = factory.Trait(role=Role.PUPIL)
        teacher = factory.Trait(role=Role.TEACHER)
        staff = factory.Trait(role=Role.STAFF)
        admin = factory.Trait(role=Role.ADMIN)

    @factory.post_generation
    def klasse(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        """``klasse="5a"``: the pupil is a member of class 5a (created if missing)."""
        if create and extracted:
            group = GroupFactory(name=extracted, slug=extracted, klasse=True)
            Membership.objects.get_or_create(user=obj, group=group)

    @factory.post_generation
    def consent(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """Pupils have their consent recorded (so they can log in); ``consent=False``: not."""
        if create and obj.role == Role.PUPIL and extracted is not False:
            from django.utils import timezone

            from schulhof.accounts.models import ConsentRecord

            ConsentRecord.objects.get_or_create(
                user=obj,
                defaults={
                    "received_on": timezone.localdate(),
                    "guardian_signed": True,
                    "pupil_signed": True,
                    "kuerzel": "TEST",
                },
            )

    @factory.post_generation
    def leads(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        """``leads="5a"``: the teacher is the class teacher of 5a."""
        if create and extracted:
            GroupFactory(name=extracted, slug=extracted, klasse=True).leaders.add(obj)


def make_user(**kwargs: Any) -> User:
    """``UserFactory(**kwargs)``, typed as a User for mypy."""
    return cast(User, UserFactory(**kwargs))
