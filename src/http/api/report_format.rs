//! A report answered as JSON (the default) or, with `?format=csv`, as a CSV of its rows for
//! a spreadsheet: one line per row, columns in the order of the JSON row's fields, empty
//! where the JSON has null.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::error::{AppError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Csv,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Json, Format::Csv];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    /// The `format` query parameter; anything but `json` or `csv` is a bad request.
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let Some(raw) = raw else {
            return Ok(Self::Json);
        };
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == raw.trim())
            .ok_or_else(|| AppError::BadRequest(format!("format: {raw:?} is not json or csv")))
    }
}

/// `whole` as JSON, or its `rows` as a CSV file named `name`.
pub async fn answer<W: Serialize, R: Serialize>(
    format: Format,
    whole: &W,
    rows: impl IntoIterator<Item = R>,
    name: &str,
) -> Result<Response> {
    match format {
        Format::Json => Ok(axum::Json(whole).into_response()),
        Format::Csv => {
            let csv = to_csv(rows).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.csv\""),
                    ),
                ],
                csv,
            )
                .into_response())
        }
    }
}

async fn to_csv<R: Serialize>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>> {
    csv_part(rows, true).await
}

/// `rows` as CSV lines, after a header line of the fields' names when `header`: a file
/// streamed in parts has it in its first part only.
pub async fn csv_part<R: Serialize>(
    rows: impl IntoIterator<Item = R>,
    header: bool,
) -> Result<Vec<u8>> {
    let failed =
        |err: String| AppError::Internal(anyhow::anyhow!("writing a report as CSV: {err}"));
    let mut csv = csv_async::AsyncWriterBuilder::new()
        .has_headers(header)
        .create_serializer(Vec::new());
    for row in rows {
        csv.serialize(row)
            .await
            .map_err(|e| failed(e.to_string()))?;
    }
    csv.into_inner().await.map_err(|e| failed(e.to_string()))
}
