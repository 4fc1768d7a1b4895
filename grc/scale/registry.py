"""Systems, 25,000 accounts with their access requests and stored flags, leavers' deprovisioning
tasks, and everyone's training records with the DPP 1.1 obligations they leave behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from django.urls import reverse

from access_reviews.flags import AccountFacts, account_flags, flag_values
from access_reviews.models import AccessRequest, Account, DeprovisionTask, Mfa, Person, RequestStatus, System, TaskReason, TrainingRecord
from access_reviews.services.deprovision import REASON_TITLES
from grc.compliance.models import Obligation
from grc.crypto import blind_index
from grc.scale.bulk import ScaleContext, insert, obligation
from grc.scale.names import PRIVILEGES, SERVICE_PURPOSES, system_name

DEPROVISION = "access_reviews.deprovision"
TRAINING_INITIAL = "access_reviews.training_initial"
TRAINING_ANNUAL = "access_reviews.training_annual"
COURSE = "Security and data-protection awareness"
SHARED_NAMES = ("shared.orders", "team-support", "admin", "warehouse-shared", "test.user")


def allocate(total: int, systems: int, capacity: int) -> list[int]:
    """Accounts per system: a few systems everyone uses, then a long tail (Zipf-like), each at most ``capacity``."""
    weights = [1 / (k + 1) ** 0.8 for k in range(systems)]
    counts = [0] * systems
    remaining = total
    room = set(range(systems))
    while remaining > 0 and room:
        weight_sum = sum(weights[k] for k in room)
        given = 0
        for k in sorted(room):
            take = min(max(1, round(remaining * weights[k] / weight_sum)), capacity - counts[k], remaining - given)
            counts[k] += take
            given += take
            if counts[k] >= capacity:
                room.discard(k)
            if given >= remaining:
                break
        remaining -= given
        if given == 0:
            break
    return counts


def seed_systems(ctx: ScaleContext) -> None:
    rng = ctx.rng
    owners = ctx.made["leads"] + ctx.made["managers"]
    systems = []
    for k in range(ctx.sizes.systems):
        created = (
            ctx.start - timedelta(days=rng.uniform(0, 300))
            if k < ctx.sizes.systems * 0.7
            else ctx.moment_between(ctx.start, ctx.now - timedelta(days=40))
        )
        systems.append(
            System(
                name=system_name(k),
                description="Holds or reaches order data (seeded for the scale benchmark).",
                owner_id=owners[0].pk if k < 3 else rng.choice(owners).pk,
                holds_amazon_information=k < 4 or ctx.chance(0.8),
                in_scope=k < 4 or ctx.chance(0.9),
                created_at=created,
                last_import_at=ctx.now - timedelta(days=rng.uniform(0, 30)),
            )
        )
    insert(System, systems)
    ctx.made["systems"] = systems
    ctx.count("systems", len(systems))


def _privilege(ctx: ScaleContext) -> tuple[str, bool]:
    if ctx.chance(0.07):
        return ctx.rng.choice([p for p in PRIVILEGES if p[1]])
    return ctx.rng.choice([p for p in PRIVILEGES if not p[1]])


def seed_accounts(ctx: ScaleContext) -> None:
    """Accounts, approved requests for most of them, flags, and the leavers' closed (or running) tasks."""
    rng, now = ctx.rng, ctx.now
    people: list[Person] = ctx.made["people"]
    systems: list[System] = ctx.made["systems"]
    leads = ctx.made["leads"]
    managers = [p for p in people if p.user_id in {u.pk for u in ctx.made["managers"]}]
    counts = allocate(ctx.sizes.accounts, len(systems), capacity=len(people) + max(4, len(people) // 20))
    accounts: list[Account] = []
    requests: dict[int, AccessRequest] = {}  # index in accounts → its request
    for k, (system, count) in enumerate(zip(systems, counts, strict=True)):
        extras = max(2, round(count * 0.04)) if count >= 20 else 1
        members = rng.sample(people, min(len(people), count - extras))
        for person in members:
            if person.terminated_at and person.terminated_at <= system.created_at + timedelta(days=2):
                continue  # left before the system existed
            assert person.started_at is not None  # seed_people gives every person a start
            earliest = max(person.started_at, system.created_at)
            latest = person.terminated_at - timedelta(hours=1) if person.terminated_at else now - timedelta(hours=1)
            created = min(earliest + timedelta(days=rng.uniform(0, 40)), latest) if latest > earliest else earliest
            privilege, privileged = _privilege(ctx)
            username = ctx.made["user_by_id"][person.user_id].username
            name = (person.email, username, person.email.split("@")[0])[k % 3]
            accounts.append(
                Account(
                    system=system,
                    name=name,
                    name_index=blind_index(name),
                    person=person,
                    privilege=privilege,
                    privileged=privileged,
                    mfa=rng.choices((Mfa.YES, Mfa.NO, Mfa.UNKNOWN), weights=(85, 5, 10))[0],
                    last_login_at=now - timedelta(hours=rng.uniform(1, 24 * 90)) if ctx.chance(0.93) else None,
                    created_at=created,
                    last_seen_at=system.last_import_at,
                )
            )
            if ctx.chance(0.78):
                requests[len(accounts) - 1] = AccessRequest(requester=person, system=system, privilege=privilege, privileged=privileged)
        for e in range(extras):
            owner = rng.choice(managers)
            holder: Person | None
            if e % 4 == 3 or not managers:  # shared / generic names (flagged: DPP 1.2)
                name, holder, service, purpose = f"{SHARED_NAMES[e % len(SHARED_NAMES)]}{k}-{e}", None if e % 8 == 7 else owner, False, ""
            else:
                purpose = SERVICE_PURPOSES[e % len(SERVICE_PURPOSES)]
                name, holder, service = f"{purpose.replace(' ', '-')}-bot{e}", owner, True
            accounts.append(
                Account(
                    system=system,
                    name=name,
                    name_index=blind_index(name),
                    person=holder,
                    is_service_account=service,
                    is_shared=not service and e % 2 == 1,
                    purpose=purpose,
                    privilege="Service role" if service else "Member",
                    privileged=service and ctx.chance(0.4),
                    mfa=Mfa.NO if service else Mfa.UNKNOWN,
                    last_login_at=now - timedelta(hours=rng.uniform(1, 200)),
                    created_at=system.created_at + timedelta(days=rng.uniform(1, 60)),
                    last_seen_at=system.last_import_at,
                )
            )
            if service and holder is not None and ctx.chance(0.8):
                requests[len(accounts) - 1] = AccessRequest(requester=holder, system=system, privilege="Service role", privileged=False)

    # the approved access requests (DPP 1.2 registration), decided by the system owner (or a lead)
    for index, request in requests.items():
        account = accounts[index]
        assert account.person is not None  # requests are made for a person's accounts only
        approver_id = account.system.owner_id
        assert approver_id is not None  # seed_systems gives every system an owner
        if account.person.user_id == approver_id:
            approver_id = leads[1].pk if leads[0].pk == approver_id else leads[0].pk
        created = account.created_at - timedelta(days=2)
        request.justification = "Needed for their role (seeded)."
        request.approver_id = approver_id
        request.status = RequestStatus.APPROVED
        request.decided_at = created + timedelta(hours=rng.uniform(1, 40))
        request.decided_by_id = approver_id
        request.created_by_id = leads[0].pk
        request.created_at = created
    insert(AccessRequest, list(requests.values()))
    for index, request in requests.items():
        accounts[index].access_request = request

    # leavers: each enabled account got a 24-hour task at termination; all but the last day's are closed
    tasks, task_obligations = _leaver_tasks(ctx, accounts)
    # a few other accounts were disabled or left their system
    for account in accounts:
        if account.person is not None and account.person.terminated_at is None and ctx.chance(0.04):
            if ctx.chance(0.5):
                account.enabled = False
            else:
                account.removed_at = now - timedelta(days=rng.uniform(1, 300))
        facts = AccountFacts(
            name=account.name,
            has_person=account.person_id is not None,
            person_terminated=bool(account.person is not None and account.person.terminated_at),
            is_service_account=account.is_service_account,
            is_shared=account.is_shared,
            privileged=account.privileged,
            mfa=account.mfa,
            has_approved_request=account.access_request is not None,
        )
        for field, value in flag_values(account_flags(facts)).items():
            setattr(account, field, value)
    insert(Account, accounts)
    for task in tasks:
        task.account_id = task.account.pk
    insert(DeprovisionTask, tasks)
    insert(Obligation, [make(task) for task, make in zip(tasks, task_obligations, strict=True)])
    ctx.made["accounts"] = accounts
    ctx.made["open_task_accounts"] = {task.account_id for task in tasks if task.closed_at is None}
    ctx.count("accounts", len(accounts))
    ctx.count("access_requests", len(requests))
    ctx.count("deprovision_tasks", len(tasks))


def _leaver_tasks(ctx: ScaleContext, accounts: list[Account]) -> tuple[list[DeprovisionTask], list[Callable[..., Obligation]]]:
    rng, now = ctx.rng, ctx.now
    tasks: list[DeprovisionTask] = []
    makers: list[Callable[..., Obligation]] = []
    for account in accounts:
        person = account.person if account.person_id else None
        if person is None or person.terminated_at is None or account.is_service_account:
            continue
        opened = person.terminated_at
        task = DeprovisionTask(
            account=account,
            person=person,
            reason=TaskReason.TERMINATION,
            previous_privilege=account.privilege,
            owner_id=account.system.owner_id,
            opened_at=opened,
            due_at=opened + timedelta(hours=24),
            created_at=opened,
        )
        if now - opened > timedelta(hours=24) and not (now - opened < timedelta(hours=48) and len(makers) % 3 == 0):
            late = ctx.chance(0.02)
            task.closed_at = min(
                opened + timedelta(hours=rng.uniform(26, 50) if late else rng.uniform(0.5, 20)), now - timedelta(minutes=5)
            )
            task.closed_by_id = account.system.owner_id
            task.closed_via = "hand"
            task.outcome = "removed" if ctx.chance(0.3) else "disabled"
            account.enabled = False
            if task.outcome == "removed":
                account.removed_at = task.closed_at
        tasks.append(task)
        title = f"{REASON_TITLES[TaskReason.TERMINATION]} ({account.system.name})"

        def make(task, title=title):
            return obligation(
                DEPROVISION,
                "access_reviews.deprovisiontask",
                task.pk,
                anchor_at=task.opened_at,
                owner_id=task.owner_id,
                completed_at=task.closed_at,
                completed_by_id=task.closed_by_id,
                title=title,
                url=reverse("access_reviews:task_detail", args=[task.pk]),
            )

        makers.append(make)
    return tasks, makers


def day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def seed_training(ctx: ScaleContext) -> None:
    """Yearly training since joining for everyone with access; ~5% are late; new joiners have 30 days."""
    rng, now = ctx.rng, ctx.now
    lead = ctx.made["leads"][0]
    with_access = {a.person_id for a in ctx.made["accounts"] if a.person_id and a.enabled and a.removed_at is None}
    records, obligations = [], []
    for person in ctx.made["people"]:
        url = reverse("access_reviews:person_training", args=[person.pk])
        owner = person.user_id
        end = person.terminated_at or now
        done, anchor, kind = person.started_at + timedelta(days=rng.uniform(3, 25)), person.started_at, TRAINING_INITIAL
        late = ctx.chance(0.05)
        while done < end and done < now:
            records.append(
                TrainingRecord(
                    person=person,
                    course=f"{COURSE} {done.year}",
                    completed_on=done.date(),
                    note="Completed in the training platform (seeded).",
                    recorded_by_id=lead.pk,
                    recorded_at=done + timedelta(days=1),
                )
            )
            completed = day_start(done.date())
            obligations.append(
                obligation(kind, "access_reviews.person", person.pk, anchor_at=anchor, owner_id=owner, completed_at=completed, url=url)
            )
            anchor, kind = completed, TRAINING_ANNUAL
            done = completed + timedelta(days=rng.uniform(330, 362) if not late else rng.uniform(380, 420))
        if person.pk in with_access and person.terminated_at is None:
            obligations.append(obligation(kind, "access_reviews.person", person.pk, anchor_at=min(anchor, now), owner_id=owner, url=url))
        elif person.terminated_at is not None and person.terminated_at > anchor:
            reason = "person terminated"
            obligations.append(
                obligation(
                    kind,
                    "access_reviews.person",
                    person.pk,
                    anchor_at=anchor,
                    owner_id=owner,
                    completed_at=person.terminated_at,
                    waived_reason=reason,
                    url=url,
                )
            )
    insert(TrainingRecord, records)
    insert(Obligation, obligations)
    ctx.count("training_records", len(records))
