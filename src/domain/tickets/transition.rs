//! Every change of a ticket's state goes through [`perform`]: it locks the
//! row, checks the move against [`ALLOWED`] (the one table of which move may
//! start from which status) and against who is asking, updates the row and
//! records the event, all in one savepoint, and says what changed so the
//! caller can refresh the card and tell the people concerned. A refused move
//! changes nothing.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};

use super::{add_event, attach, load, Actor, Deadline, Ticket, TicketId, TicketStatus};
use crate::domain::staff::StaffRole;

/// What is done to a ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// A staff member takes an open ticket for themselves.
    Claim,
    /// Gives an active ticket to staff member `to` (assign or transfer).
    Assign { to: i64 },
    /// Puts a held ticket back in the queue.
    Release,
    /// Sets the visit time; `shown` is the time as people read it.
    Schedule {
        at: DateTime<Utc>,
        shown: String,
        booking: Booking,
    },
    /// Done; `note` and `photo` (of the finished work) go to the owner.
    Resolve {
        note: Option<String>,
        photo: Option<String>,
    },
    /// Back to its holder (or the queue) with a fresh resolve-by deadline.
    Reopen { deadline: Deadline },
    /// The owner changed their mind.
    Cancel { reason: String },
    /// The reopen window is over (the scheduler).
    Close,
    /// The owner's 1–5 rating, once.
    Rate { stars: i16 },
    /// The owner's comment on their rating.
    Comment { text: String },
    /// An internal note (staff only).
    Note { text: String },
}

/// Why a visit time is set, which names the event it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booking {
    /// `/schedule N …`.
    Command,
    /// A visit proposed to the owner (`/visit`); its id when it exists already.
    VisitProposed { visit: Option<i64> },
    /// The owner picked another time for visit `visit`.
    VisitMoved { visit: i64 },
}

/// A transition without its data: what [`ALLOWED`] is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    Claim,
    Assign,
    Release,
    Schedule,
    Resolve,
    Reopen,
    Cancel,
    Close,
    Rate,
    Comment,
    Note,
}

use TicketStatus::{Cancelled, Claimed, Closed, Open, Resolved, Scheduled};

/// Which move may start from which status.
pub const ALLOWED: &[(Move, &[TicketStatus])] = &[
    (Move::Claim, &[Open]),
    (Move::Assign, &[Open, Claimed, Scheduled]),
    (Move::Release, &[Claimed, Scheduled]),
    (Move::Schedule, &[Claimed, Scheduled]),
    (Move::Resolve, &[Open, Claimed, Scheduled]),
    (Move::Reopen, &[Resolved, Closed]),
    (Move::Cancel, &[Open, Claimed, Scheduled]),
    (Move::Close, &[Resolved]),
    (Move::Rate, &[Resolved, Closed]),
    (
        Move::Comment,
        &[Open, Claimed, Scheduled, Resolved, Closed, Cancelled],
    ),
    (
        Move::Note,
        &[Open, Claimed, Scheduled, Resolved, Closed, Cancelled],
    ),
];

impl Move {
    pub const ALL: &'static [Move] = &[
        Move::Claim,
        Move::Assign,
        Move::Release,
        Move::Schedule,
        Move::Resolve,
        Move::Reopen,
        Move::Cancel,
        Move::Close,
        Move::Rate,
        Move::Comment,
        Move::Note,
    ];

    /// Whether the move may start from `status`.
    #[must_use]
    pub fn allowed_from(self, status: TicketStatus) -> bool {
        ALLOWED
            .iter()
            .any(|(m, from)| *m == self && from.contains(&status))
    }

    /// Whether a staff member other than the holder needs a supervisor's
    /// role for it, on a ticket someone holds (`held`) or nobody does.
    fn holder_only(self, held: bool) -> bool {
        match self {
            Move::Assign | Move::Release | Move::Schedule => true,
            Move::Resolve => held,
            _ => false,
        }
    }
}

impl Transition {
    #[must_use]
    pub fn kind(&self) -> Move {
        match self {
            Transition::Claim => Move::Claim,
            Transition::Assign { .. } => Move::Assign,
            Transition::Release => Move::Release,
            Transition::Schedule { .. } => Move::Schedule,
            Transition::Resolve { .. } => Move::Resolve,
            Transition::Reopen { .. } => Move::Reopen,
            Transition::Cancel { .. } => Move::Cancel,
            Transition::Close => Move::Close,
            Transition::Rate { .. } => Move::Rate,
            Transition::Comment { .. } => Move::Comment,
            Transition::Note { .. } => Move::Note,
        }
    }
}

/// Why nothing was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    /// The move does not start from the ticket's status.
    Status {
        status: TicketStatus,
        assignee: Option<i64>,
    },
    /// Only the holder (`assignee`, if any) or a supervisor may do it.
    NotHolder {
        status: TicketStatus,
        assignee: Option<i64>,
    },
    /// The owner rated this ticket before.
    AlreadyRated,
    /// Stars outside 1–5 (a forged button).
    BadRating,
}

/// What changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub transition: Transition,
    pub actor: Actor,
    pub from: TicketStatus,
    pub previous_assignee: Option<i64>,
    /// The ticket as it is now.
    pub ticket: Ticket,
    /// A claim or assignment that is the ticket's first taking (the owner
    /// hears of the first one only).
    pub first_taken: bool,
}

impl Outcome {
    #[must_use]
    pub fn id(&self) -> TicketId {
        self.ticket.id
    }

    /// A rating of 1–2, now standing on the ticket.
    #[must_use]
    pub fn low_rating(&self) -> bool {
        self.ticket.rating.is_some_and(|r| r <= 2)
    }
}

/// Does `transition` to ticket `id` for `actor` at `now`, or says why not
/// (and changes nothing).
pub async fn perform(
    conn: &mut PgConnection,
    id: TicketId,
    transition: Transition,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Result<Outcome, Refusal>> {
    let mut tx = conn.begin().await?;
    let current = sqlx::query!(
        "SELECT status, assignee, rating FROM tickets WHERE id = $1 FOR UPDATE",
        id.0
    )
    .fetch_optional(&mut *tx)
    .await
    .context("locking a ticket")?;
    let Some(current) = current else {
        return Ok(Err(Refusal::NotFound));
    };
    let status = TicketStatus::parse(&current.status)
        .with_context(|| format!("unknown status {}", current.status))?;
    let assignee = current.assignee;
    let kind = transition.kind();
    if !kind.allowed_from(status) {
        return Ok(Err(Refusal::Status { status, assignee }));
    }
    if let Actor::Staff(me) = actor {
        if kind.holder_only(assignee.is_some()) && assignee != Some(me) {
            let role = sqlx::query_scalar!(
                "SELECT role FROM staff WHERE telegram_user_id = $1 AND active",
                me
            )
            .fetch_optional(&mut *tx)
            .await?;
            let supervisor = role
                .as_deref()
                .and_then(StaffRole::parse)
                .is_some_and(StaffRole::can_assign);
            if !supervisor {
                return Ok(Err(Refusal::NotHolder { status, assignee }));
            }
        }
    }
    match &transition {
        Transition::Rate { .. } if current.rating.is_some() => {
            return Ok(Err(Refusal::AlreadyRated));
        }
        Transition::Rate { stars } if !(1..=5).contains(stars) => {
            return Ok(Err(Refusal::BadRating));
        }
        _ => {}
    }
    let first_taken = matches!(kind, Move::Claim | Move::Assign)
        && sqlx::query_scalar!(
            r#"SELECT NOT EXISTS (SELECT 1 FROM ticket_events
                                   WHERE ticket_id = $1 AND kind IN ('claimed', 'assigned'))
                   AS "first!""#,
            id.0
        )
        .fetch_one(&mut *tx)
        .await?;
    update(&mut tx, id, &transition, actor, now).await?;
    record(&mut tx, id, &transition, actor, now, assignee).await?;
    let ticket = load(&mut tx, id)
        .await?
        .context("the ticket just changed is gone")?;
    tx.commit().await?;
    Ok(Ok(Outcome {
        transition,
        actor,
        from: status,
        previous_assignee: assignee,
        ticket,
        first_taken,
    }))
}

/// The row's change (the row is locked and the move checked).
async fn update(
    conn: &mut PgConnection,
    id: TicketId,
    transition: &Transition,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let staff = match actor {
        Actor::Staff(s) => Some(s),
        Actor::Owner(_) | Actor::System => None,
    };
    let query = match transition {
        Transition::Claim => sqlx::query!(
            "UPDATE tickets
                SET status = 'claimed', assignee = $3, updated_at = $2,
                    first_response_at = COALESCE(first_response_at, $2)
              WHERE id = $1",
            id.0,
            now,
            staff,
        ),
        Transition::Assign { to } => sqlx::query!(
            "UPDATE tickets
                SET assignee = $3, updated_at = $2,
                    status = CASE WHEN status = 'open' THEN 'claimed' ELSE status END,
                    first_response_at = COALESCE(first_response_at, $2)
              WHERE id = $1",
            id.0,
            now,
            *to,
        ),
        Transition::Release => sqlx::query!(
            "UPDATE tickets
                SET status = 'open', assignee = NULL, appointment_at = NULL, updated_at = $2
              WHERE id = $1",
            id.0,
            now,
        ),
        Transition::Schedule { at, .. } => sqlx::query!(
            "UPDATE tickets SET status = 'scheduled', appointment_at = $3, updated_at = $2
              WHERE id = $1",
            id.0,
            now,
            *at,
        ),
        // Resolving an unclaimed ticket records who resolved it.
        Transition::Resolve { .. } => sqlx::query!(
            "UPDATE tickets
                SET status = 'resolved', resolved_at = $2, updated_at = $2,
                    first_response_at = COALESCE(first_response_at, $2),
                    assignee = COALESCE(assignee, $3)
              WHERE id = $1",
            id.0,
            now,
            staff,
        ),
        Transition::Reopen { deadline } => sqlx::query!(
            "UPDATE tickets
                SET status = CASE WHEN assignee IS NULL THEN 'open' ELSE 'claimed' END,
                    resolved_at = NULL, closed_at = NULL, rating = NULL, rating_comment = NULL,
                    escalated_at = NULL, last_ping_at = NULL, updated_at = $2,
                    due_resolve_at = $2::timestamptz + make_interval(mins => $3)
              WHERE id = $1",
            id.0,
            now,
            i32::try_from(deadline.resolve_minutes)?,
        ),
        Transition::Cancel { .. } => sqlx::query!(
            "UPDATE tickets SET status = 'cancelled', closed_at = $2, updated_at = $2 WHERE id = $1",
            id.0,
            now,
        ),
        Transition::Close => sqlx::query!(
            "UPDATE tickets SET status = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1",
            id.0,
            now,
        ),
        // A low rating opens a follow-up for a supervisor.
        Transition::Rate { stars } => sqlx::query!(
            "UPDATE tickets
                SET rating = $3::smallint, updated_at = $2,
                    follow_up_at = CASE WHEN $3::smallint <= 2 THEN $2 ELSE follow_up_at END
              WHERE id = $1",
            id.0,
            now,
            *stars,
        ),
        Transition::Comment { text } => {
            sqlx::query!(
            "UPDATE tickets SET rating_comment = $3, updated_at = $2 WHERE id = $1",
            id.0,
            now,
            text.as_str(),
        )
        }
        Transition::Note { .. } => return Ok(()),
    };
    query
        .execute(conn)
        .await
        .with_context(|| format!("{:?} on ticket {id}", transition.kind()))?;
    Ok(())
}

/// The transition's line in the ticket's history (and what comes with it).
async fn record(
    conn: &mut PgConnection,
    id: TicketId,
    transition: &Transition,
    actor: Actor,
    now: DateTime<Utc>,
    previous: Option<i64>,
) -> Result<()> {
    let staff = match actor {
        Actor::Staff(s) => Some(s),
        Actor::Owner(_) | Actor::System => None,
    };
    let (kind, body, internal, data): (&str, Option<String>, bool, Value) = match transition {
        Transition::Claim => ("claimed", None, true, json!({ "assignee": staff })),
        Transition::Assign { to } => (
            "assigned",
            None,
            true,
            json!({ "assignee": to, "previous": previous }),
        ),
        Transition::Release => ("released", None, true, json!({ "previous": previous })),
        Transition::Schedule { at, shown, booking } => {
            let (kind, visit) = match booking {
                Booking::Command => ("scheduled", None),
                Booking::VisitProposed { visit } => ("visit_proposed", *visit),
                Booking::VisitMoved { visit } => ("visit_moved", Some(*visit)),
            };
            (
                kind,
                Some(shown.clone()),
                false,
                json!({ "appointment_at": at, "visit": visit }),
            )
        }
        Transition::Resolve { note, photo } => {
            if let Some(p) = photo {
                attach(conn, id, p, now).await?;
            }
            (
                "resolved",
                note.clone().filter(|n| !n.is_empty()),
                false,
                json!({ "photo": photo }),
            )
        }
        Transition::Reopen { .. } => ("reopened", None, false, Value::Null),
        Transition::Cancel { reason } => ("cancelled", Some(reason.clone()), false, Value::Null),
        Transition::Close => ("closed", None, false, Value::Null),
        Transition::Rate { stars } => {
            add_event(
                conn,
                id,
                now,
                actor,
                "rated",
                Some(&stars.to_string()),
                false,
                json!({ "rating": stars }),
            )
            .await?;
            if *stars > 2 {
                return Ok(());
            }
            (
                "follow_up",
                Some(stars.to_string()),
                true,
                json!({ "rating": stars }),
            )
        }
        Transition::Comment { text } => ("rating_comment", Some(text.clone()), false, Value::Null),
        Transition::Note { text } => ("note", Some(text.clone()), true, Value::Null),
    };
    let actor = if kind == "follow_up" {
        Actor::System
    } else {
        actor
    };
    add_event(conn, id, now, actor, kind, body.as_deref(), internal, data).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing::fresh_database;
    use crate::domain::staff;
    use crate::domain::tickets::{insert, NewTicket, TicketKind};

    const BUTLER: i64 = 11;
    const OTHER_BUTLER: i64 = 12;
    const SUPERVISOR: i64 = 13;

    fn deadline() -> Deadline {
        Deadline {
            response_minutes: 60,
            resolve_minutes: 240,
        }
    }

    /// One of each transition, done by the butler (the owner for the
    /// owner's own, the system for closing).
    fn each(now: DateTime<Utc>) -> Vec<(Transition, Actor)> {
        let butler = Actor::Staff(BUTLER);
        let owner = Actor::Owner(Some(501));
        vec![
            (Transition::Claim, butler),
            (Transition::Assign { to: BUTLER }, Actor::Staff(SUPERVISOR)),
            (Transition::Release, butler),
            (
                Transition::Schedule {
                    at: now,
                    shown: "12-01 10:00".into(),
                    booking: Booking::Command,
                },
                butler,
            ),
            (
                Transition::Resolve {
                    note: Some("fixed".into()),
                    photo: None,
                },
                butler,
            ),
            (
                Transition::Reopen {
                    deadline: deadline(),
                },
                Actor::Staff(SUPERVISOR),
            ),
            (
                Transition::Cancel {
                    reason: "no longer needed".into(),
                },
                owner,
            ),
            (Transition::Close, Actor::System),
            (Transition::Rate { stars: 4 }, owner),
            (Transition::Comment { text: "ok".into() }, owner),
            (Transition::Note { text: "n".into() }, butler),
        ]
    }

    async fn setup() -> (crate::db::testing::TestDatabase, DateTime<Utc>) {
        let db = fresh_database().await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        staff::upsert(&mut conn, BUTLER, "b", StaffRole::Butler)
            .await
            .unwrap();
        staff::upsert(&mut conn, OTHER_BUTLER, "o", StaffRole::Butler)
            .await
            .unwrap();
        staff::upsert(&mut conn, SUPERVISOR, "s", StaffRole::Supervisor)
            .await
            .unwrap();
        (db, Utc::now())
    }

    /// A ticket standing in `status`, held by the butler when that status
    /// has a holder.
    async fn ticket_in(
        conn: &mut PgConnection,
        status: TicketStatus,
        now: DateTime<Utc>,
    ) -> TicketId {
        let new = NewTicket::new(TicketKind::Repair, "tap");
        let (id, _) = insert(conn, None, now, &new, deadline()).await.unwrap();
        let held = matches!(status, Claimed | Scheduled);
        sqlx::query("UPDATE tickets SET status = $2, assignee = $3 WHERE id = $1")
            .bind(id.0)
            .bind(status.as_str())
            .bind(held.then_some(BUTLER))
            .execute(&mut *conn)
            .await
            .unwrap();
        id
    }

    async fn events(conn: &mut PgConnection, id: TicketId) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE ticket_id = $1")
            .bind(id.0)
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// The table as the office works: o c s r x n = open, claimed,
    /// scheduled, resolved, closed, cancelled.
    #[test]
    fn the_table_of_allowed_moves_is_the_office_s_rules() {
        let expected = [
            (Move::Claim, "o"),
            (Move::Assign, "ocs"),
            (Move::Release, "cs"),
            (Move::Schedule, "cs"),
            (Move::Resolve, "ocs"),
            (Move::Reopen, "rx"),
            (Move::Cancel, "ocs"),
            (Move::Close, "r"),
            (Move::Rate, "rx"),
            (Move::Comment, "ocsrxn"),
            (Move::Note, "ocsrxn"),
        ];
        let letter = |s: TicketStatus| match s {
            Open => 'o',
            Claimed => 'c',
            Scheduled => 's',
            Resolved => 'r',
            Closed => 'x',
            Cancelled => 'n',
        };
        assert_eq!(expected.len(), Move::ALL.len());
        for (m, from) in expected {
            for s in TicketStatus::ALL {
                assert_eq!(
                    m.allowed_from(*s),
                    from.contains(letter(*s)),
                    "{m:?} from {s:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn every_move_runs_from_exactly_the_statuses_the_table_allows() {
        let (db, now) = setup().await;
        let mut conn = db.pool.acquire().await.unwrap();
        for (transition, actor) in each(now) {
            let kind = transition.kind();
            for status in TicketStatus::ALL {
                let id = ticket_in(&mut conn, *status, now).await;
                let before = load(&mut conn, id).await.unwrap().unwrap();
                let result = perform(&mut conn, id, transition.clone(), actor, now)
                    .await
                    .unwrap();
                let after = load(&mut conn, id).await.unwrap().unwrap();
                if kind.allowed_from(*status) {
                    let outcome =
                        result.unwrap_or_else(|r| panic!("{kind:?} from {status:?}: {r:?}"));
                    assert_eq!(outcome.from, *status);
                    assert_eq!(outcome.ticket, after);
                    assert!(events(&mut conn, id).await >= 1, "{kind:?} leaves an event");
                } else {
                    assert_eq!(
                        result,
                        Err(Refusal::Status {
                            status: *status,
                            assignee: before.assignee
                        }),
                        "{kind:?} from {status:?}"
                    );
                    assert_eq!(after, before, "a refused {kind:?} changes nothing");
                    assert_eq!(events(&mut conn, id).await, 0);
                }
            }
        }
        // Every move is in the table, once.
        for m in Move::ALL {
            assert_eq!(ALLOWED.iter().filter(|(k, _)| k == m).count(), 1, "{m:?}");
        }
    }

    #[tokio::test]
    async fn moves_land_on_the_status_they_promise() {
        let (db, now) = setup().await;
        let mut conn = db.pool.acquire().await.unwrap();
        let butler = Actor::Staff(BUTLER);
        let id = ticket_in(&mut conn, Open, now).await;
        let step = |t: Transition, a: Actor| (t, a);
        let script = [
            (step(Transition::Claim, butler), Claimed),
            (step(Transition::Release, butler), Open),
            (
                step(Transition::Assign { to: BUTLER }, Actor::Staff(SUPERVISOR)),
                Claimed,
            ),
            (
                step(
                    Transition::Schedule {
                        at: now,
                        shown: "x".into(),
                        booking: Booking::Command,
                    },
                    butler,
                ),
                Scheduled,
            ),
            (
                step(
                    Transition::Resolve {
                        note: None,
                        photo: None,
                    },
                    butler,
                ),
                Resolved,
            ),
            (
                step(
                    Transition::Reopen {
                        deadline: deadline(),
                    },
                    Actor::Staff(SUPERVISOR),
                ),
                Claimed,
            ),
            (
                step(
                    Transition::Resolve {
                        note: None,
                        photo: None,
                    },
                    butler,
                ),
                Resolved,
            ),
            (step(Transition::Close, Actor::System), Closed),
        ];
        for ((t, actor), to) in script {
            let kind = t.kind();
            let outcome = perform(&mut conn, id, t, actor, now)
                .await
                .unwrap()
                .unwrap_or_else(|r| panic!("{kind:?}: {r:?}"));
            assert_eq!(outcome.ticket.status, to, "{kind:?}");
        }
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(
            kinds,
            [
                "claimed",
                "released",
                "assigned",
                "scheduled",
                "resolved",
                "reopened",
                "resolved",
                "closed"
            ]
        );
    }

    #[tokio::test]
    async fn only_the_holder_or_a_supervisor_acts_on_a_held_ticket() {
        let (db, now) = setup().await;
        let mut conn = db.pool.acquire().await.unwrap();
        let other = Actor::Staff(OTHER_BUTLER);
        for t in [
            Transition::Release,
            Transition::Assign { to: OTHER_BUTLER },
            Transition::Resolve {
                note: None,
                photo: None,
            },
        ] {
            let id = ticket_in(&mut conn, Claimed, now).await;
            let kind = t.kind();
            assert_eq!(
                perform(&mut conn, id, t.clone(), other, now).await.unwrap(),
                Err(Refusal::NotHolder {
                    status: Claimed,
                    assignee: Some(BUTLER)
                }),
                "{kind:?}"
            );
            assert!(
                perform(&mut conn, id, t, Actor::Staff(SUPERVISOR), now)
                    .await
                    .unwrap()
                    .is_ok(),
                "{kind:?}"
            );
        }
        // Nobody holds it: a butler may not hand it on, but may resolve it.
        let id = ticket_in(&mut conn, Open, now).await;
        assert!(matches!(
            perform(&mut conn, id, Transition::Assign { to: BUTLER }, other, now)
                .await
                .unwrap(),
            Err(Refusal::NotHolder { assignee: None, .. })
        ));
        let resolve = Transition::Resolve {
            note: None,
            photo: Some("file-1".into()),
        };
        let outcome = perform(&mut conn, id, resolve, other, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            outcome.ticket.assignee,
            Some(OTHER_BUTLER),
            "the resolver of an unclaimed ticket is recorded"
        );
        assert_eq!(outcome.ticket.photo_count, 1);
    }

    #[tokio::test]
    async fn a_ticket_is_rated_once_and_a_low_rating_opens_a_follow_up() {
        let (db, now) = setup().await;
        let mut conn = db.pool.acquire().await.unwrap();
        let owner = Actor::Owner(Some(501));
        let id = ticket_in(&mut conn, Resolved, now).await;
        assert_eq!(
            perform(&mut conn, id, Transition::Rate { stars: 9 }, owner, now)
                .await
                .unwrap(),
            Err(Refusal::BadRating)
        );
        let outcome = perform(&mut conn, id, Transition::Rate { stars: 2 }, owner, now)
            .await
            .unwrap()
            .unwrap();
        assert!(outcome.low_rating());
        assert_eq!(
            perform(&mut conn, id, Transition::Rate { stars: 5 }, owner, now)
                .await
                .unwrap(),
            Err(Refusal::AlreadyRated)
        );
        let follow_up: (String, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT e.actor_kind, t.follow_up_at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
              WHERE e.ticket_id = $1 AND e.kind = 'follow_up'",
        )
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(follow_up.0, "system");
        assert!(follow_up.1.is_some());
        assert_eq!(
            perform(
                &mut conn,
                TicketId(999_999),
                Transition::Close,
                Actor::System,
                now
            )
            .await
            .unwrap(),
            Err(Refusal::NotFound)
        );
    }

    #[tokio::test]
    async fn only_the_first_taking_is_news_to_the_owner() {
        let (db, now) = setup().await;
        let mut conn = db.pool.acquire().await.unwrap();
        let id = ticket_in(&mut conn, Open, now).await;
        let first = perform(&mut conn, id, Transition::Claim, Actor::Staff(BUTLER), now)
            .await
            .unwrap()
            .unwrap();
        assert!(first.first_taken);
        let second = perform(
            &mut conn,
            id,
            Transition::Assign { to: OTHER_BUTLER },
            Actor::Staff(SUPERVISOR),
            now,
        )
        .await
        .unwrap()
        .unwrap();
        assert!(!second.first_taken);
        assert_eq!(second.previous_assignee, Some(BUTLER));
        assert_eq!(second.ticket.assignee, Some(OTHER_BUTLER));
    }
}
