import factory
from allauth.account.models import EmailAddress

from crossector.core.models import Profile, User
from crossector.core.vocabulary import Region, Sector

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
        if create:
            obj.save()


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    full_name = factory.Faker("name", locale="en_GB")
    organisation = factory.Faker("company", locale="en_GB")
    job_title = factory.Faker("job", locale="en_GB")
    sector = Sector.NHS
    region = Region.WALES


def person(**profile_fields) -> User:
    """A verified user with a complete profile."""
    user_fields = {k: profile_fields.pop(k) for k in ("email", "is_staff", "is_superuser") if k in profile_fields}
    user = UserFactory(**user_fields)
    ProfileFactory(user=user, **profile_fields)
    return user
