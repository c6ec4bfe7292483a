//! `GET /notices/{id}`: a recall notice's page, where scans of the codes it covers are
//! sent. It reads the notice in the visitor's language (or the one the brand wrote it in)
//! and records nothing: the scan that brought the visitor here was recorded already.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::error::missing;
use super::extract::Path;
use super::pages::{LanguageChoice, PageError, render};
use super::strings::strings;
use crate::domain::Language;

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    lang: &'static str,
    label: &'static str,
    title: String,
    paragraphs: Vec<String>,
    url: Option<String>,
    more: &'static str,
    lifted: Option<String>,
    /// The switch to the other language, when the notice is written in both.
    other: Option<(&'static str, &'static str)>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    choice: LanguageChoice,
) -> Result<Response, PageError> {
    let notice = state.db.notice(id).await.map_err(missing("notice"))?;
    let english = notice.title_en.clone().zip(notice.text_en.clone());
    let chinese = notice.title_zh.clone().zip(notice.text_zh.clone());
    let both = english.is_some() && chinese.is_some();
    let (language, (title, text)) = match (choice.language, english, chinese) {
        (Language::English, Some(words), _) | (Language::Chinese, None, Some(words)) => {
            (Language::English, words)
        }
        (_, _, Some(words)) => (Language::Chinese, words),
        (_, Some(words), None) => (Language::English, words),
        // The API takes no notice without words in one language at least.
        (_, None, None) => (choice.language, (String::new(), String::new())),
    };
    let said = strings(language);
    let lifted = notice.lifted_at.map(|at| {
        let day = chrono::DateTime::from_timestamp_millis(at)
            .unwrap_or_default()
            .format(said.date_format)
            .to_string();
        said.notice.lifted.replace("{date}", &day)
    });
    let page = NoticePage {
        lang: language.code(),
        label: said.notice.label,
        title,
        paragraphs: text
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        url: notice.url,
        more: said.notice.more,
        lifted,
        other: both.then(|| (language.other().code(), said.other_language)),
    };
    let mut response = render(StatusCode::OK, page);
    choice.remember(&mut response);
    Ok(response)
}
