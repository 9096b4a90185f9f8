"""The verdict, prediction against observation, without a server."""

from pgfence.model import (
    LockOnRelation,
    Observation,
    ObservedLock,
    Prediction,
    RelKind,
    StatementError,
    VerdictKind,
)
from pgfence.pg.locks import LockMode
from pgfence.verdict import Carried, judge

M = LockMode
ACC = "public.accounts"
IDX = "public.accounts_email_idx"


def predicted(*locks, rewrites=()):
    return Prediction(
        locks=tuple(LockOnRelation(r, m, k) for r, m, k in locks), rewrites=tuple(rewrites)
    )


def observed(*locks, rewritten=(), reads=None, writes=None, sampled=False):
    return Observation(
        locks=tuple(ObservedLock(r, m, True, k, t, False, a) for r, m, k, t, a in locks),
        rewritten=tuple(rewritten),
        blocks_reads=reads,
        blocks_writes=writes,
        sampled=sampled,
    )


def table(relation, mode, acquired=True):
    return (relation, mode, RelKind.TABLE, None, acquired)


def index(relation, mode, owner=ACC, acquired=True):
    return (relation, mode, RelKind.INDEX, owner, acquired)


def test_the_same_lock_is_confirmed():
    v = judge(
        predicted((ACC, M.ACCESS_EXCLUSIVE, RelKind.TABLE)),
        observed(table(ACC, M.ACCESS_EXCLUSIVE), reads=True, writes=True),
    )
    assert v.kind is VerdictKind.CONFIRMED


def test_a_stronger_lock_than_predicted_is_under_predicted():
    v = judge(
        predicted((ACC, M.SHARE, RelKind.TABLE)),
        observed(table(ACC, M.ACCESS_EXCLUSIVE), reads=True, writes=True),
    )
    assert v.kind is VerdictKind.UNDER_PREDICTED
    assert any("took AccessExclusiveLock" in r for r in v.reasons)


def test_modes_are_compared_by_what_they_block_not_by_number():
    # SHARE UPDATE EXCLUSIVE (4) blocks another SUE, which SHARE (5) does not.
    v = judge(
        predicted((ACC, M.SHARE, RelKind.TABLE)),
        observed(table(ACC, M.SHARE_UPDATE_EXCLUSIVE), writes=False, reads=False),
    )
    assert v.kind is VerdictKind.UNDER_PREDICTED


def test_a_weaker_lock_than_predicted_is_over_predicted():
    v = judge(
        predicted((ACC, M.ACCESS_EXCLUSIVE, RelKind.TABLE)),
        observed(table(ACC, M.SHARE_UPDATE_EXCLUSIVE), reads=False, writes=False),
    )
    assert v.kind is VerdictKind.OVER_PREDICTED


def test_an_index_locked_as_strongly_as_its_table_is_implied():
    v = judge(
        predicted((ACC, M.ACCESS_EXCLUSIVE, RelKind.TABLE)),
        observed(table(ACC, M.ACCESS_EXCLUSIVE), index(IDX, M.ACCESS_EXCLUSIVE)),
    )
    assert v.kind is VerdictKind.CONFIRMED


def test_an_index_locked_more_strongly_than_its_table_must_be_predicted():
    # REINDEX INDEX: SHARE on the table, ACCESS EXCLUSIVE on the index (readers wait).
    v = judge(
        predicted((ACC, M.SHARE, RelKind.TABLE)),
        observed(table(ACC, M.SHARE), index(IDX, M.ACCESS_EXCLUSIVE), reads=True, writes=True),
    )
    assert v.kind is VerdictKind.UNDER_PREDICTED


def test_an_unpredicted_read_is_a_note_not_a_failure():
    v = judge(
        predicted((ACC, M.EXCLUSIVE, RelKind.TABLE)),
        observed(table(ACC, M.EXCLUSIVE), table("public.orders", M.ACCESS_SHARE)),
    )
    assert v.kind is VerdictKind.CONFIRMED
    assert v.reasons == ("public.orders: also read (AccessShareLock)",)


def test_an_unpredicted_rewrite_is_under_predicted_and_an_index_rebuilt_with_its_table_is_not():
    p = predicted((ACC, M.ACCESS_EXCLUSIVE, RelKind.TABLE))
    assert (
        judge(p, observed(table(ACC, M.ACCESS_EXCLUSIVE), rewritten=[ACC])).kind
        is VerdictKind.UNDER_PREDICTED
    )
    p = predicted((ACC, M.ACCESS_EXCLUSIVE, RelKind.TABLE), rewrites=[ACC])
    o = observed(
        table(ACC, M.ACCESS_EXCLUSIVE), index(IDX, M.ACCESS_EXCLUSIVE), rewritten=[ACC, IDX]
    )
    assert judge(p, o).kind is VerdictKind.CONFIRMED


def test_blocking_measured_but_not_predicted_is_under_predicted():
    v = judge(
        predicted((ACC, M.SHARE_UPDATE_EXCLUSIVE, RelKind.TABLE)),
        observed(table(ACC, M.SHARE_UPDATE_EXCLUSIVE), reads=False, writes=True),
    )
    assert v.kind is VerdictKind.UNDER_PREDICTED


def test_locks_carried_from_earlier_in_the_transaction_explain_measured_blocking():
    carried = Carried.of([LockOnRelation(ACC, M.ACCESS_EXCLUSIVE)])
    v = judge(
        predicted(),
        observed(table(ACC, M.ACCESS_EXCLUSIVE, acquired=False), reads=True, writes=True),
        carried,
    )
    assert v.kind is VerdictKind.CONFIRMED


def test_sampled_statements_are_never_over_predicted():
    v = judge(
        predicted(
            (ACC, M.ACCESS_EXCLUSIVE, RelKind.TABLE), (IDX, M.ACCESS_EXCLUSIVE, RelKind.INDEX)
        ),
        observed(table(ACC, M.SHARE_UPDATE_EXCLUSIVE), sampled=True, reads=False, writes=False),
    )
    assert v.kind is VerdictKind.CONFIRMED


def test_failed_and_skipped_statements_are_not_run():
    assert (
        judge(predicted(), Observation(ran=False, not_run_reason="x")).kind is VerdictKind.NOT_RUN
    )
    failed = Observation(error=StatementError("42P01", "no such table"))
    assert judge(predicted(), failed).kind is VerdictKind.NOT_RUN


def test_what_made_it_under_predicted_is_kept_apart_for_the_findings():
    """Locks and blocking in `unpredicted`, rewrites in `unpredicted_rewrites`; every reason
    in words in `reasons`, in that order."""
    v = judge(
        predicted((ACC, M.SHARE_UPDATE_EXCLUSIVE, RelKind.TABLE)),
        observed(table(ACC, M.ACCESS_EXCLUSIVE), rewritten=[ACC], reads=True, writes=True),
    )
    assert v.kind is VerdictKind.UNDER_PREDICTED
    assert v.unpredicted_rewrites == (ACC,)
    assert v.unpredicted == (
        f"{ACC}: took AccessExclusiveLock, predicted ShareUpdateExclusiveLock",
        "reads were blocked, not predicted",
        "writes were blocked, not predicted",
    )
    assert v.reasons[:4] == (
        v.unpredicted[0],
        f"{ACC}: rewritten, not predicted",
        *v.unpredicted[1:],
    )


def test_blocking_is_judged_per_relation_a_blocked_table_not_named_is_under_predicted():
    parent, part = "public.events", "public.events_2025"
    prediction = Prediction(
        locks=(
            LockOnRelation(parent, M.SHARE_UPDATE_EXCLUSIVE),
            LockOnRelation(part, M.ACCESS_EXCLUSIVE),
        ),
        reads_blocked_on=(part,),
        writes_blocked_on=(part,),
    )
    locks = (
        ObservedLock(parent, M.SHARE_UPDATE_EXCLUSIVE),
        ObservedLock(part, M.ACCESS_EXCLUSIVE),
    )
    right = Observation(
        locks=locks,
        blocks_reads=True,
        blocks_writes=True,
        reads_blocked_on=(part,),
        writes_blocked_on=(part,),
    )
    assert judge(prediction, right).kind is VerdictKind.CONFIRMED
    # The same statement-level flags, but the parent's readers were kept out as well.
    wrong = Observation(
        locks=locks,
        blocks_reads=True,
        blocks_writes=True,
        reads_blocked_on=(parent, part),
        writes_blocked_on=(part,),
    )
    verdict = judge(prediction, wrong)
    assert verdict.kind is VerdictKind.UNDER_PREDICTED
    assert "reads of public.events were blocked, not predicted" in verdict.reasons
