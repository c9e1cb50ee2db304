//! The Acme app's writes in a real browser, with JavaScript on and off: sign in through the
//! form, create an invoice (after a refused attempt that keeps what was typed), edit it,
//! delete it; and, with JavaScript, search as you type.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::emulation::SetScriptExecutionDisabledParams;
use serde_json::json;

use super::chrome::{self, Tab, js_string};
use crate::app::{TestApp, start_app};

/// Latency on the invoices table and page count, so that the invoices page really streams
/// (without it, its queries are done before the shell and it is one plain document).
const STREAMED: &str = "table=200,pages=200";

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Sign in, create, edit and delete an invoice by clicking and typing, with JavaScript on.
/// Then search as you type: the results and the URL change without a page load. No console
/// errors on the pages involved.
#[tokio::test]
async fn invoices_are_written_in_a_browser_with_javascript() {
    let Some(chrome) = chrome::launch("invoices_are_written_in_a_browser_with_javascript").await
    else {
        return;
    };
    let app = start_app(STREAMED).await;
    let tab = chrome.tab().await;
    tab.sign_in(&app.url("")).await;
    create_edit_delete(&tab, &app, true).await;
    search_as_you_type(&tab, &app).await;
    for path in [
        "/invoices",
        "/invoices/create",
        "/invoices/1/edit",
        "/customers",
    ] {
        let problems = super::problems_on(&chrome, &app.url(path)).await;
        assert_eq!(problems, Vec::<String>::new(), "{path}");
    }
}

/// The same writes with JavaScript disabled: plain forms and redirects; the streamed
/// invoices page's `<noscript>` refresh to its in-order version still shows the message.
#[tokio::test]
async fn invoices_are_written_in_a_browser_without_javascript() {
    let Some(chrome) = chrome::launch("invoices_are_written_in_a_browser_without_javascript").await
    else {
        return;
    };
    let app = start_app(STREAMED).await;
    let tab = chrome.tab().await;
    tab.page
        .execute(SetScriptExecutionDisabledParams::new(true))
        .await
        .expect("Emulation.setScriptExecutionDisabled");
    tab.sign_in(&app.url("")).await;
    // The streamed dashboard sends a browser without JavaScript on to its in-order version
    // (`<noscript>` refresh); opening the next page before that lands would race with it.
    assert!(
        tab.wait_for("location.search.includes('stream=in-order')", secs(10))
            .await,
        "the no-JavaScript refresh to the in-order dashboard"
    );
    tab.wait_complete().await;
    create_edit_delete(&tab, &app, false).await;
    // Where a browser without JavaScript ends up anyway (the streamed page sends it there at
    // once, too fast for `open` to see it committed).
    let search = app.url("/invoices?stream=in-order");
    tab.open(&search).await;
    tab.wait_complete().await;
    tab.type_into("input[name=query]", "paid").await;
    tab.click("form.search button[type=submit]").await;
    assert!(
        tab.wait_for("location.search.startsWith('?query=paid')", secs(10))
            .await,
        "the Search button submits the query"
    );
}

async fn create_edit_delete(tab: &Tab, app: &TestApp, javascript: bool) {
    tab.open(&app.url("/invoices/create")).await;
    tab.wait_complete().await;
    tab.eval("document.querySelector('#customer').value = '3'")
        .await;
    tab.type_into("#amount", "twelve").await;
    tab.click("label.status-paid").await;
    tab.click("form.invoice-form button[type=submit]").await;
    assert!(
        tab.wait_for("!!document.querySelector('.field-error')", secs(10))
            .await,
        "the refused form comes back"
    );
    let kept = tab
        .eval(
            "({ error: document.querySelector('#amount-error').textContent, \
               amount: document.querySelector('#amount').value, \
               customer: document.querySelector('#customer').value, \
               paid: document.querySelector('input[value=paid]').checked })",
        )
        .await;
    if javascript {
        tab.screenshot("invoice-form-refused.png").await;
    }
    assert_eq!(
        kept,
        json!({ "error": "Enter the amount in dollars, such as 12.34.", "amount": "twelve", "customer": "3", "paid": true })
    );

    tab.type_into("#amount", "12.34").await;
    tab.click("form.invoice-form button[type=submit]").await;
    let message = flash(tab, "created", javascript).await;
    let id: i64 = message
        .trim_start_matches("Invoice #")
        .trim_end_matches(" created.")
        .parse()
        .unwrap_or_else(|_| panic!("an invoice number in {message:?}"));
    let created = braid::db::invoice_by_id(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((created.customer_id, created.amount_cents), (3, 1234));
    assert_eq!(created.status, braid::db::InvoiceStatus::Paid);

    tab.click(&format!("a[href='/invoices/{id}/edit']")).await;
    let editing = format!(
        "location.pathname === '/invoices/{id}/edit' && document.readyState === 'complete'"
    );
    assert!(
        tab.wait_for(&editing, secs(10)).await,
        "the edit form opens"
    );
    tab.type_into("#amount", "56.78").await;
    tab.click("form.invoice-form button[type=submit]").await;
    assert_eq!(
        flash(tab, "saved", javascript).await,
        format!("Invoice #{id} saved.")
    );
    let edited = braid::db::invoice_by_id(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edited.amount_cents, 5678);

    tab.click(&format!("form[action='/invoices/{id}/delete'] button"))
        .await;
    assert_eq!(
        flash(tab, "deleted", javascript).await,
        format!("Invoice #{id} deleted.")
    );
    assert!(
        braid::db::invoice_by_id(&app.db, id)
            .await
            .unwrap()
            .is_none()
    );
}

/// Waits for the invoices page to show a message containing `word`, and returns it. Without
/// JavaScript the streamed page first sends the browser to its in-order version.
async fn flash(tab: &Tab, word: &str, javascript: bool) -> String {
    let landed = if javascript {
        "location.pathname === '/invoices'".to_string()
    } else {
        "location.pathname === '/invoices' && location.search.includes('stream=in-order')"
            .to_string()
    };
    assert!(
        tab.wait_for(&landed, secs(10)).await,
        "back on the invoices page; at {}",
        tab.eval("location.href").await
    );
    tab.wait_complete().await;
    let shown = format!(
        "document.querySelector('.flash')?.textContent.includes({})",
        js_string(word)
    );
    assert!(
        tab.wait_for(&shown, secs(10)).await,
        "{}",
        tab.body_html().await
    );
    tab.eval_string("document.querySelector('.flash').textContent")
        .await
}

/// Typing in the search box replaces the results about 300 ms after the last key, keeps
/// the page (no navigation), and puts the query in the URL.
async fn search_as_you_type(tab: &Tab, app: &TestApp) {
    let customer = braid::db::customer_by_id(&app.db, 5)
        .await
        .unwrap()
        .unwrap();
    tab.open(&app.url("/invoices")).await;
    tab.wait_complete().await;
    tab.eval("window.sameDocument = true").await;
    tab.type_into("input[name=query]", &customer.name).await;
    let expected = form_urlencoded::byte_serialize(customer.name.as_bytes()).collect::<String>();
    let updated = format!(
        "location.search === {} && [...document.querySelectorAll('#results td.who a')].every(a => a.textContent === {}) && document.querySelectorAll('#results td.who a').length > 0",
        js_string(&format!("?query={expected}")),
        js_string(&customer.name)
    );
    assert!(
        tab.wait_for(&updated, secs(10)).await,
        "results for {:?}; at {} with {}",
        customer.name,
        tab.eval("location.href").await,
        tab.body_html().await
    );
    assert_eq!(
        tab.eval("window.sameDocument === true").await,
        json!(true),
        "no page load"
    );
}
