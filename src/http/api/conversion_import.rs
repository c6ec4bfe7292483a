//! `POST /api/v1/conversions/import`: a store till's (or a shop's) CSV of purchases, with
//! the columns of `POST /api/v1/conversions`. Read and answered as a stream, so any
//! number of rows takes bounded memory; the answer says what became of every row, and a
//! bad row never stops the good ones.

use std::io;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use csv_async::{AsyncReaderBuilder, StringRecord};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::io::StreamReader;

use super::ErrorBody;
use super::conversions::{ReportConversion, conflict, elsewhere, may_record};
use crate::conversions::{Queued, RecordError};
use crate::db::{Recorded, Scope, now_ms};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::http::error::{AppError, Result};

/// The columns a file may have, in any order; the first three are required.
const COLUMNS: [&str; 10] = [
    "order_id",
    "amount_cents",
    "currency",
    "occurred_at",
    "source",
    "items",
    "click_id",
    "visitor_id",
    "token",
    "store_code",
];
const REQUIRED: usize = 3;
/// Rows queued but not yet answered: enough to fill the writer's groups, few enough to
/// keep the memory of an import of any size small.
const IN_FLIGHT: usize = 1024;

/// Where each known column is in the file.
struct Columns([Option<usize>; COLUMNS.len()]);

impl Columns {
    /// Checks the header: every required column present, nothing unknown, nothing twice.
    fn read(header: &StringRecord) -> Result<Self> {
        let mut at = [None; COLUMNS.len()];
        let mut unknown = Vec::new();
        for (index, name) in header.iter().enumerate() {
            let name = name
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase();
            match COLUMNS.iter().position(|c| *c == name) {
                Some(known) if at[known].is_some() => {
                    return Err(AppError::invalid(
                        "header",
                        format!("the column {name} appears twice"),
                    ));
                }
                Some(known) => at[known] = Some(index),
                None => unknown.push(name),
            }
        }
        let missing: Vec<&str> = (0..REQUIRED)
            .filter(|&i| at[i].is_none())
            .map(|i| COLUMNS[i])
            .collect();
        if !missing.is_empty() {
            return Err(AppError::invalid(
                "header",
                format!(
                    "missing the column{} {}; the first line must name the columns, such as order_id,amount_cents,currency,occurred_at,source,store_code",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
            ));
        }
        if !unknown.is_empty() {
            return Err(AppError::invalid(
                "header",
                format!(
                    "unknown column{} {}; the columns are {}",
                    if unknown.len() == 1 { "" } else { "s" },
                    unknown.join(", "),
                    COLUMNS.join(", ")
                ),
            ));
        }
        Ok(Self(at))
    }

    fn get<'r>(&self, record: &'r StringRecord, column: usize) -> Option<&'r str> {
        let value = record.get(self.0[column]?)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// A row as the JSON endpoint would take it.
    fn conversion(&self, record: &StringRecord) -> Result<ReportConversion, String> {
        let text = |column: usize| self.get(record, column).map(str::to_owned);
        let whole = |column: usize| -> Result<Option<i64>, String> {
            self.get(record, column)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| format!("{}: {v:?} is not a whole number", COLUMNS[column]))
                })
                .transpose()
        };
        Ok(ReportConversion {
            order_id: text(0).unwrap_or_default(),
            amount_cents: whole(1)?.ok_or("amount_cents: empty")?,
            currency: text(2).unwrap_or_default(),
            occurred_at: text(3),
            source: text(4),
            items: whole(5)?,
            click_id: text(6),
            visitor_id: text(7),
            token: text(8),
            store_code: text(9),
        })
    }
}

/// What became of one row.
#[derive(Serialize)]
struct RowResult {
    /// The row's line in the file (the header is line 1).
    line: u64,
    /// `accepted`, `duplicate` (recorded before, nothing changed) or `rejected`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversion_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl RowResult {
    fn rejected(line: u64, error: String) -> Self {
        Self {
            line,
            result: "rejected",
            conversion_id: None,
            attributed: None,
            error: Some(error),
        }
    }
}

/// Import conversions from a CSV (UTF-8, comma-separated, a header line naming the
/// columns of `POST /api/v1/conversions`). The answer streams a JSON object: `rows` (each
/// row's `line`, `result` and `conversion_id` or `error`), then the counts `accepted`,
/// `duplicates` and `rejected`; `aborted` says why reading stopped early, if it did.
#[utoipa::path(post, path = "/api/v1/conversions/import", tag = "conversions",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "What became of every row.", content_type = "application/json"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(State(state): State<AppState>, caller: Caller, body: Body) -> Result<Response> {
    let scope = Arc::new(caller.scope());
    let stream = body.into_data_stream().map_err(io::Error::other);
    let mut csv = AsyncReaderBuilder::new()
        .flexible(true)
        .create_reader(StreamReader::new(stream));
    let header = csv
        .headers()
        .await
        .map_err(|err| AppError::BadRequest(format!("the CSV could not be read: {err}")))?
        .clone();
    let columns = Arc::new(Columns::read(&header)?);
    let (out, answer) = mpsc::channel::<Result<Bytes, io::Error>>(16);
    tokio::spawn(async move {
        // Rows are queued one at a time, in file order (a repeated order is the later
        // row's duplicate), and answered in that order with many in flight.
        let rows = csv
            .into_records()
            .then(|record| {
                let (state, columns, scope) = (state.clone(), columns.clone(), scope.clone());
                async move { queue_row(&state, &columns, &scope, record).await }
            })
            .map(|row| {
                let (state, scope) = (state.clone(), scope.clone());
                async move { answer_row(&state, &scope, row).await }
            })
            .buffered(IN_FLIGHT);
        write_answer(rows, out).await;
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(ReceiverStream::new(answer)),
    )
        .into_response())
}

/// A row answered without recording (it could not be read or is invalid), or queued.
enum Row {
    Done(RowResult),
    /// The line, the order's source and id, and the queued conversion.
    Queued(u64, (String, String), Queued),
}

/// A row rejected or queued, or why the import cannot go on.
async fn queue_row(
    state: &AppState,
    columns: &Columns,
    scope: &Scope,
    record: Result<StringRecord, csv_async::Error>,
) -> Result<Row, String> {
    let record = match record {
        Ok(record) => record,
        Err(err) if err.is_io_error() => return Err(format!("reading the upload failed: {err}")),
        Err(err) => {
            let line = err.position().map_or(0, |p| p.line());
            return Ok(Row::Done(RowResult::rejected(
                line,
                format!("the row could not be read: {err}"),
            )));
        }
    };
    let line = record.position().map_or(0, |p| p.line());
    let new = match columns
        .conversion(&record)
        .and_then(|r| r.validate(now_ms(), None).map_err(|e| e.to_string()))
    {
        Ok(new) => new,
        Err(error) => return Ok(Row::Done(RowResult::rejected(line, error))),
    };
    match may_record(state, &new, scope).await {
        Ok(()) => {}
        Err(AppError::Validation { field, message }) => {
            return Ok(Row::Done(RowResult::rejected(
                line,
                format!("{field}: {message}"),
            )));
        }
        Err(err) => return Err(err.to_string()),
    }
    let order = (new.source.clone(), new.order_id.clone());
    match state.conversions.queue(new).await {
        Ok(queued) => Ok(Row::Queued(line, order, queued)),
        Err(err) => Err(err.to_string()),
    }
}

/// A row's answer. An order reported before at a store outside `scope` is refused
/// without saying more, not answered as the duplicate it is.
async fn answer_row(
    state: &AppState,
    scope: &Scope,
    row: Result<Row, String>,
) -> Result<RowResult, String> {
    let (line, order, recorded) = match row? {
        Row::Done(result) => return Ok(result),
        Row::Queued(line, order, queued) => (line, order, queued.recorded().await),
    };
    let (source, order_id) = &order;
    match recorded {
        Ok(Recorded::Known(c))
            if *scope != Scope::All && state.db.conversion_in(scope, c.id).await.is_err() =>
        {
            Ok(RowResult::rejected(line, elsewhere(source, order_id)))
        }
        Err(RecordError::Db(crate::db::DbError::Conflict(message))) => {
            let message = conflict(state, scope, source, order_id, message)
                .await
                .map_err(|err| err.to_string())?;
            Ok(RowResult::rejected(line, message))
        }
        recorded => row_result(line, recorded),
    }
}

/// What became of a queued row, or why the import cannot go on.
fn row_result(line: u64, recorded: Result<Recorded, RecordError>) -> Result<RowResult, String> {
    match recorded {
        Ok(Recorded::New(c, touches)) => Ok(RowResult {
            line,
            result: "accepted",
            conversion_id: Some(c.id),
            attributed: Some(!touches.is_empty()),
            error: None,
        }),
        Ok(Recorded::Known(c)) => Ok(RowResult {
            line,
            result: "duplicate",
            conversion_id: Some(c.id),
            attributed: None,
            error: None,
        }),
        Err(err @ RecordError::Currency { .. }) => Ok(RowResult::rejected(line, err.to_string())),
        Err(RecordError::Db(crate::db::DbError::Conflict(message))) => {
            Ok(RowResult::rejected(line, message))
        }
        Err(RecordError::Db(err)) => Err(format!("the database failed: {err}")),
        Err(err @ RecordError::NotStored(_)) => Err(err.to_string()),
    }
}

/// Writes `{"rows": [...], "accepted": n, "duplicates": n, "rejected": n}` as the rows
/// come, ending early with `aborted` if one cannot be handled.
async fn write_answer(
    rows: impl futures_util::Stream<Item = Result<RowResult, String>>,
    out: mpsc::Sender<Result<Bytes, io::Error>>,
) {
    let send = |text: String| {
        let out = out.clone();
        async move { out.send(Ok(Bytes::from(text))).await.is_ok() }
    };
    if !send("{\"rows\":[".into()).await {
        return;
    }
    let (mut accepted, mut duplicates, mut rejected) = (0u64, 0u64, 0u64);
    let mut aborted = None;
    let mut first = true;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        let row = match row {
            Ok(row) => row,
            Err(reason) => {
                aborted = Some(reason);
                break;
            }
        };
        match row.result {
            "accepted" => accepted += 1,
            "duplicate" => duplicates += 1,
            _ => rejected += 1,
        }
        let json = serde_json::to_string(&row).unwrap_or_default();
        let text = if first { json } else { format!(",\n{json}") };
        first = false;
        if !send(text).await {
            return;
        }
    }
    let mut tail =
        format!("],\"accepted\":{accepted},\"duplicates\":{duplicates},\"rejected\":{rejected}");
    if let Some(reason) = aborted {
        tracing::warn!(%reason, "a conversion import stopped early");
        tail.push_str(&format!(
            ",\"aborted\":{}",
            serde_json::to_string(&format!(
                "{reason}; rows after the last one listed were not imported"
            ))
            .unwrap_or_default()
        ));
    }
    tail.push_str("}\n");
    send(tail).await;
}
