//! Writing invoices (the course's chapter "Mutating Data"): `GET /invoices/create` and
//! `POST /invoices`, `GET /invoices/{id}/edit` and `POST /invoices/{id}`,
//! `POST /invoices/{id}/delete`.
//!
//! Every success is a `303` to `/invoices` with a one-time message (post/redirect/get, so a
//! reload never posts again). A form with mistakes comes back as `422` with what the user
//! typed and a message per field; a save over someone else's newer save is a `409` that
//! shows both, as is a delete of an invoice saved since the reader's page showed it. A
//! save of an invoice deleted meanwhile is a `409` with the create form holding what the
//! user typed. The sign-in guard has already checked the session and the CSRF token.

use crate::app::forms::AppForm;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::StatusCode;
use maud::{Markup, html};
use tower_sessions::Session;

use crate::app::AppState;
use crate::app::auth::{SignedIn, session};
use crate::app::components::format::dollars;
use crate::app::components::invoice_form::{InvoiceForm, invoice_form};
use crate::app::components::layout::{self, Frame};
use crate::app::components::tables::delete_form;
use crate::app::error::{AppError, Result};
use crate::app::forms::invoice::{FieldErrors, InvoiceFields, new_form_key};
use crate::db::writes::{self, CreateOutcome, DeleteOutcome, UpdateOutcome};
use crate::db::{self, InvoiceRow};
use crate::stream::Page;

/// The routes that write invoices (the GETs of `/invoices` and `/invoices/{id}` are in
/// their own pages; axum merges the methods of one path).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invoices/create", get(create_form))
        .route("/invoices", post(create))
        .route("/invoices/{id}/edit", get(edit_form))
        .route("/invoices/{id}", post(update))
        .route("/invoices/{id}/delete", post(delete))
}

/// Where every write lands.
const AFTER_WRITE: &str = "/invoices";

async fn create_form(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    page: Page,
) -> Result<Response> {
    let fields = InvoiceFields {
        status: Some("pending".into()),
        ..InvoiceFields::default()
    };
    create_page(
        &app,
        &user,
        page,
        &fields,
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn create(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    session: Session,
    page: Page,
    AppForm(fields): AppForm<InvoiceFields>,
) -> Result<Response> {
    let draft = match fields.draft() {
        Ok(draft) => draft,
        Err(errors) => return refused_create(&app, &user, page, &fields, errors).await,
    };
    let Some(key) = fields.form_key() else {
        let errors = FieldErrors {
            form: Some(
                "This form is out of date. Check the values and create the invoice again.".into(),
            ),
            ..FieldErrors::default()
        };
        return refused_create(&app, &user, page, &fields, errors).await;
    };
    let message = match writes::create_invoice(&app.db, draft, key).await? {
        CreateOutcome::Created(id) => format!("Invoice #{id} created."),
        CreateOutcome::AlreadySubmitted(Some(id)) => {
            format!("This form was already submitted: it created invoice #{id}, and nothing more.")
        }
        CreateOutcome::AlreadySubmitted(None) => {
            "This form was already submitted; its invoice has since been deleted.".into()
        }
        CreateOutcome::UnknownCustomer => {
            let errors = FieldErrors::unknown_customer();
            return refused_create(&app, &user, page, &fields, errors).await;
        }
    };
    redirect_with(&session, message).await
}

async fn refused_create(
    app: &AppState,
    user: &SignedIn,
    page: Page,
    fields: &InvoiceFields,
    errors: FieldErrors,
) -> Result<Response> {
    create_page(
        app,
        user,
        page,
        fields,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The create page. A form sent back keeps its key, so the user's corrected submission
/// is still "this form" (and one invoice) however often it is sent.
async fn create_page(
    app: &AppState,
    user: &SignedIn,
    page: Page,
    fields: &InvoiceFields,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response> {
    let customers = db::customer_choices(&app.db).await?;
    let key = fields.form_key().map_or_else(new_form_key, str::to_string);
    let form = invoice_form(&InvoiceForm {
        action: "/invoices",
        submit: "Create invoice",
        customers: &customers,
        values: fields,
        errors,
        csrf: &user.csrf,
        hidden: ("form_key", key),
    });
    Ok(form_page(
        page,
        user,
        "Create invoice",
        html! {},
        form,
        status,
    ))
}

async fn edit_form(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    Path(id): Path<String>,
    page: Page,
) -> Result<Response> {
    let invoice = existing_invoice(&app, &id).await?;
    let fields = fields_of(&invoice);
    let view = EditView::new(&invoice, &fields, StatusCode::OK);
    edit_page(&app, &user, page, view).await
}

async fn update(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    session: Session,
    Path(id): Path<String>,
    page: Page,
    AppForm(fields): AppForm<InvoiceFields>,
) -> Result<Response> {
    let id = invoice_id(&id)?;
    let Some(invoice) = db::invoice_by_id(&app.db, id).await? else {
        return deleted_while_editing(&app, &user, page, id, fields).await;
    };
    // A form without a version cannot say what it was made from: it is treated as made
    // from a version before every save, so it never overwrites anything silently.
    let version = fields.version().unwrap_or(0);
    let refused = EditView {
        version,
        errors: FieldErrors::default(),
        ..EditView::new(&invoice, &fields, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let draft = match fields.draft() {
        Ok(draft) => draft,
        Err(errors) => return edit_page(&app, &user, page, EditView { errors, ..refused }).await,
    };
    let current = match writes::update_invoice(&app.db, invoice.id, version, draft).await? {
        UpdateOutcome::Updated | UpdateOutcome::AlreadySaved => {
            return redirect_with(&session, format!("Invoice #{} saved.", invoice.id)).await;
        }
        UpdateOutcome::NotFound => {
            return deleted_while_editing(&app, &user, page, invoice.id, fields).await;
        }
        UpdateOutcome::UnknownCustomer => {
            let errors = FieldErrors::unknown_customer();
            return edit_page(&app, &user, page, EditView { errors, ..refused }).await;
        }
        UpdateOutcome::Conflict(current) => current,
    };
    let view = EditView {
        notice: conflict_notice(&current),
        ..EditView::new(&current, &fields, StatusCode::CONFLICT)
    };
    edit_page(&app, &user, page, view).await
}

/// The answer to saving an invoice that was deleted meanwhile: `409`, and the create form
/// holding what the user typed, so that nothing they wrote is lost.
async fn deleted_while_editing(
    app: &AppState,
    user: &SignedIn,
    page: Page,
    id: i64,
    fields: InvoiceFields,
) -> Result<Response> {
    let fields = InvoiceFields {
        version: None,
        ..fields
    };
    let errors = FieldErrors {
        form: Some(format!(
            "Invoice #{id} was deleted while you were editing it. Your values are below: \
             create them as a new invoice, or leave this page to drop them."
        )),
        ..FieldErrors::default()
    };
    create_page(app, user, page, &fields, &errors, StatusCode::CONFLICT).await
}

/// What a `409` says: the invoice as someone else saved it; the form below keeps the user's
/// values, now based on that version, so saving again replaces theirs knowingly.
fn conflict_notice(current: &InvoiceRow) -> Markup {
    html! {
        div class="form-error conflict" role="alert" {
            p { strong { "Someone else saved this invoice while you were editing it." } " Your changes have not been saved. It now reads:" }
            (invoice_facts(current))
            p { "Your values are below: save again to replace theirs, or cancel to keep them." }
        }
    }
}

/// What the edit page shows besides the frame.
struct EditView<'a> {
    id: i64,
    /// The version the form says it was made from (a hidden field).
    version: i64,
    /// The values in the fields.
    fields: &'a InvoiceFields,
    errors: FieldErrors,
    /// Above the form: the conflict notice, or nothing.
    notice: Markup,
    status: StatusCode,
}

impl<'a> EditView<'a> {
    /// `fields` in a form made from `invoice` as it is now.
    fn new(invoice: &InvoiceRow, fields: &'a InvoiceFields, status: StatusCode) -> EditView<'a> {
        EditView {
            id: invoice.id,
            version: invoice.version,
            fields,
            errors: FieldErrors::default(),
            notice: html! {},
            status,
        }
    }
}

async fn edit_page(
    app: &AppState,
    user: &SignedIn,
    page: Page,
    view: EditView<'_>,
) -> Result<Response> {
    let customers = db::customer_choices(&app.db).await?;
    let action = format!("/invoices/{}", view.id);
    let form = invoice_form(&InvoiceForm {
        action: &action,
        submit: "Save invoice",
        customers: &customers,
        values: view.fields,
        errors: &view.errors,
        csrf: &user.csrf,
        hidden: ("version", view.version.to_string()),
    });
    let title = format!("Edit invoice #{}", view.id);
    Ok(form_page(
        page,
        user,
        &title,
        view.notice,
        form,
        view.status,
    ))
}

async fn delete(
    State(app): State<AppState>,
    Extension(user): Extension<SignedIn>,
    session: Session,
    Path(id): Path<String>,
    page: Page,
    AppForm(fields): AppForm<InvoiceFields>,
) -> Result<Response> {
    let id = invoice_id(&id)?;
    // As for an edit, a form without a version is taken as made before every save: the
    // reader is shown the invoice and asked again.
    let version = fields.version().unwrap_or(0);
    let current = match writes::delete_invoice(&app.db, id, version).await? {
        DeleteOutcome::Deleted => {
            return redirect_with(&session, format!("Invoice #{id} deleted.")).await;
        }
        DeleteOutcome::NotFound => {
            let message = format!("Invoice #{id} does not exist (any more).");
            return redirect_with(&session, message).await;
        }
        DeleteOutcome::Changed(current) => current,
    };
    let title = format!("Delete invoice #{id}?");
    let notice = html! {
        div class="form-error conflict" role="alert" {
            p { strong { "This invoice was saved after your page showed it." } " Nothing has been deleted. It now reads:" }
            (invoice_facts(&current))
        }
    };
    let choice = html! {
        div class="form-actions" {
            a class="button secondary" href=(AFTER_WRITE) { "Keep it" }
            (delete_form(&current, &user.csrf, "Delete it as it is now"))
        }
    };
    Ok(form_page(
        page,
        &user,
        &title,
        notice,
        choice,
        StatusCode::CONFLICT,
    ))
}

/// An invoice's customer, amount and status, as a conflict notice shows them.
fn invoice_facts(invoice: &InvoiceRow) -> Markup {
    html! {
        dl class="invoice-facts" {
            dt { "Customer" } dd { (invoice.customer_name) }
            dt { "Amount" } dd { (dollars(invoice.amount_cents)) }
            dt { "Status" } dd { (invoice.status) }
        }
    }
}

/// The page around a form: complete before it is sent (its data is awaited first), so it
/// is one plain document that needs no script, whatever the streaming mode.
fn form_page(
    page: Page,
    user: &SignedIn,
    title: &str,
    notice: Markup,
    form: Markup,
    status: StatusCode,
) -> Response {
    let frame = Frame {
        title,
        description: "Create or edit an Acme invoice: customer, amount and status.",
        active: "/invoices",
        user: Some(user),
    };
    let content = html! {
        nav class="breadcrumbs" aria-label="Breadcrumbs" {
            a href="/invoices" { "Invoices" } " / " span aria-current="page" { (title) }
        }
        h1 { (title) }
        (notice)
        (form)
    };
    let mut response = page.render(layout::shell(&frame, content));
    *response.status_mut() = status;
    response
}

async fn redirect_with(session: &Session, message: String) -> Result<Response> {
    session::set_flash(session, message).await?;
    Ok(Redirect::to(AFTER_WRITE).into_response())
}

fn invoice_id(text: &str) -> Result<i64> {
    text.parse().map_err(|_| AppError::NotFound("invoice"))
}

async fn existing_invoice(app: &AppState, id: &str) -> Result<InvoiceRow> {
    db::invoice_by_id(&app.db, invoice_id(id)?)
        .await?
        .ok_or(AppError::NotFound("invoice"))
}

/// An invoice's values as the edit form shows them (`12.34`, not `$12.34`).
fn fields_of(invoice: &InvoiceRow) -> InvoiceFields {
    InvoiceFields {
        customer_id: Some(invoice.customer_id.to_string()),
        amount: Some(format!(
            "{}.{:02}",
            invoice.amount_cents / 100,
            invoice.amount_cents % 100
        )),
        status: Some(invoice.status.to_string()),
        form_key: None,
        version: Some(invoice.version.to_string()),
    }
}
