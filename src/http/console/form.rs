//! A console form as data: its fields with what was typed and what to fix, rendered by one
//! template (`console_form.html`), so every form shows its errors the same way, next to
//! the field.

use std::collections::BTreeMap;

use crate::http::error::AppError;

/// What each field of a sent form needs fixed, by field name.
#[derive(Debug, Default)]
pub struct Errors(BTreeMap<&'static str, String>);

impl Errors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    /// Places an API error next to the form's field it is about (`fields` maps the API's
    /// field names to the form's), or returns it when it is not about a field.
    pub fn place(&mut self, err: AppError, fields: &[&'static str]) -> Result<(), AppError> {
        match err {
            AppError::Validation { field, message } => {
                let name = fields
                    .iter()
                    .find(|f| **f == field || field.ends_with(&format!(".{f}")))
                    .copied()
                    .unwrap_or(fields[0]);
                self.add(name, message);
                Ok(())
            }
            // A slug or a store code already taken.
            AppError::Conflict(message) => {
                let name = ["slug", "code"]
                    .into_iter()
                    .find(|f| fields.contains(f))
                    .unwrap_or(fields[0]);
                self.add(name, message);
                Ok(())
            }
            other => Err(other),
        }
    }
}

pub enum Kind {
    Text,
    Url,
    Date,
    Password,
    Number,
    Colour,
    Area,
    Check,
    Select(Vec<(String, String)>),
}

/// One field: its name, label, value as typed (or stored), hint and error.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub value: String,
    pub hint: &'static str,
    pub error: Option<String>,
    pub required: bool,
    pub max: usize,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: Kind, value: &str) -> Self {
        Self {
            name,
            label,
            kind,
            value: value.to_owned(),
            hint: "",
            error: None,
            required: false,
            max: 200,
        }
    }

    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn max(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    pub fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Url => "url",
            Kind::Date => "date",
            Kind::Password => "password",
            _ => "text",
        }
    }

    pub fn numeric(&self) -> bool {
        matches!(self.kind, Kind::Number)
    }

    pub fn checked(&self) -> bool {
        !self.value.is_empty()
    }

    pub fn selected(&self, option: &str) -> bool {
        self.value == option
    }
}

/// A whole form: where it posts, its fields and its button.
pub struct FormView {
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    /// Above the fields: the form came back after the session ended, or was refused.
    pub note: Option<String>,
}

impl FormView {
    pub fn new(action: String, submit: &'static str, fields: Vec<Field>, errors: &Errors) -> Self {
        let fields = fields
            .into_iter()
            .map(|mut f| {
                f.error = errors.get(f.name).cloned();
                f
            })
            .collect();
        Self {
            action,
            fields,
            submit,
            note: None,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }
}

/// A page that is one form (a new campaign or batch, settings, a channel or store): its
/// title, the page it belongs to, a line saying what it is for, the form, and for a record
/// that can be retired, its switch.
#[derive(askama::Template)]
#[template(path = "console_edit.html")]
pub struct EditPage {
    pub nav: super::Nav,
    pub title: String,
    pub back: String,
    pub intro: &'static str,
    pub form: FormView,
    pub switch: Option<Switch>,
}

/// The button that disables a record, or enables it again: where it posts, whether the
/// record is enabled now, and what disabling it does.
pub struct Switch {
    pub action: String,
    pub enabled: bool,
    pub effect: &'static str,
}

/// An optional text field as the API takes it: empty is absent.
pub fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_land_next_to_their_field() {
        let mut errors = Errors::default();
        let fields = ["name", "slug", "cta_url"];
        errors
            .place(
                AppError::invalid("landing.cta_url", "must be http"),
                &fields,
            )
            .unwrap();
        errors
            .place(AppError::Conflict("slug taken".into()), &fields)
            .unwrap();
        assert_eq!(errors.get("cta_url").unwrap(), "must be http");
        assert_eq!(errors.get("slug").unwrap(), "slug taken");
        assert!(errors.place(AppError::Unavailable, &fields).is_err());
    }
}
