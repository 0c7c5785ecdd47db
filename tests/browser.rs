//! `propdesk demo` in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`; `.ci/run`
//! installs them). An owner files a repair with a photo, staff claim it in
//! the group pane, reply and resolve it, the owner rates it — every step
//! through the page, the stand-in and the real pipeline. A screenshot of
//! each step lands in `target/demo-screenshots/` for people to look at.
//!
//! Set `PROPDESK_BROWSER_TESTS=skip` to skip on a machine without Chromium.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use propdesk::config::DemoArgs;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(30);
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const OWNER: i64 = 7002; // Emily Chen, English, unit 3-2-1101
const GROUP: i64 = -1_001_000_000_001;

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn chromedriver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {CHROMEDRIVER} ({e}): install it with \
                 `apt-get install -y chromium chromium-driver` (.ci/run does), \
                 or set PROPDESK_BROWSER_TESTS=skip"
            )
        });
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver { child, url }
}

async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        format!("--window-size={width},{height}"), "--lang=en-US"]}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("demo-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

struct Page {
    client: Client,
    base: String,
    shots: PathBuf,
}

impl Page {
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn ready(&self) {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css("body[data-ready='1']"))
            .await
            .expect("the page never got ready");
    }

    async fn open_chat(&self, chat: i64) {
        self.click(&format!("//button[@data-chat='{chat}']")).await;
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&format!(
                "//button[@data-chat='{chat}'][contains(@class,'active')]"
            )))
            .await
            .expect("the chat opened");
    }

    async fn find(&self, xpath: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("no element {xpath}: {e}"))
    }

    async fn click(&self, xpath: &str) {
        // Live updates re-render the page, so an element found a moment ago
        // may be replaced before the click lands ("stale element"): find it
        // again and retry, a few times.
        let mut last = String::new();
        for _ in 0..5 {
            let element = self.find(xpath).await;
            // Scrolled into view and clicked as a user would.
            let scrolled = self
                .client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'});",
                    vec![serde_json::to_value(&element).expect("element")],
                )
                .await;
            let clicked = match scrolled {
                Ok(_) => element.click().await.map(|_| ()),
                Err(e) => Err(e),
            };
            match clicked {
                Ok(()) => return,
                Err(e) if e.to_string().contains("stale element") => {
                    last = e.to_string();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("clicking {xpath}: {e}"),
            }
        }
        panic!("clicking {xpath}: {last}");
    }

    /// The latest message in the open chat containing `needle`.
    async fn expect(&self, needle: &str) -> Element {
        self.find(&format!(
            "(//section[@id='messages']/div[contains(@class,'msg')][contains(., \"{needle}\")])[last()]"
        ))
        .await
    }

    /// Presses `label` on the latest message containing `needle`.
    async fn press(&self, needle: &str, label: &str) {
        self.expect(needle).await;
        self.click(&format!(
            "(//section[@id='messages']/div[contains(@class,'msg')][contains(., \"{needle}\")])[last()]//div[@class='ikb']//button[normalize-space(.)=\"{label}\"]"
        ))
        .await;
    }

    async fn say(&self, text: &str) {
        let input = self.find("//input[@id='text']").await;
        input.send_keys(text).await.expect("typing");
        self.click("//button[@id='send']").await;
    }

    async fn messages_text(&self) -> String {
        self.find("//section[@id='messages']")
            .await
            .text()
            .await
            .expect("messages text")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_files_a_repair_with_a_photo_and_staff_work_it_in_the_group_pane() {
    if std::env::var("PROPDESK_BROWSER_TESTS").as_deref() == Ok("skip") {
        eprintln!("PROPDESK_BROWSER_TESTS=skip: not running the browser test");
        return;
    }
    let started = Instant::now();
    let folder = tempfile::tempdir().expect("temp folder");
    // The embedded PostgreSQL runs as the `postgres` user when we are root.
    std::fs::set_permissions(
        folder.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let stop = CancellationToken::new();
    let args = DemoArgs {
        listen: "127.0.0.1:0".parse().expect("address"),
        reset: true,
        data_dir: folder.path().join("demo"),
        dialogues: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues")),
    };
    let demo = propdesk::demo::start(&args, stop.clone())
        .await
        .expect("the demo starts");
    let driver = chromedriver().await;
    let client = browser(&driver, 1400, 860).await;
    let page = Page {
        client,
        base: format!("http://{}/", demo.address),
        shots: screenshot_dir(),
    };
    page.client.goto(&page.base).await.expect("open the page");
    page.ready().await;

    // A second demo on the same address: one sentence, nothing started.
    let again = propdesk::demo::start(
        &DemoArgs {
            listen: demo.address,
            ..args.clone()
        },
        CancellationToken::new(),
    )
    .await;
    let message = format!("{:#}", again.err().expect("the port is taken"));
    assert!(
        message.contains("is taken") && message.contains("--listen"),
        "{message}"
    );

    // ---- the owner files a repair --------------------------------------
    page.open_chat(OWNER).await;
    page.shot("01-start").await;
    page.say("/start").await;
    page.press("property service desk", "Repair").await;
    page.press("is this one of these emergencies", "None of these")
        .await;
    page.press("What needs repairing?", "Water / plumbing")
        .await;
    page.expect("Please describe the problem").await;

    // Reloaded mid-conversation: the same chat, the same messages.
    page.client.refresh().await.expect("reload");
    page.ready().await;
    page.find(&format!(
        "//button[@data-chat='{OWNER}'][contains(@class,'active')]"
    ))
    .await;
    page.expect("Please describe the problem").await;
    page.shot("02-reloaded-mid-conversation").await;

    page.say("The kitchen tap leaks under the sink.").await;
    page.expect("Send photos so the technician can prepare")
        .await;

    // A photo over Telegram's limit is refused as Telegram refuses it.
    let big = folder.path().join("too-big.jpg");
    let mut bytes = b"\xff\xd8\xff\xe0".to_vec();
    bytes.resize(11 * 1024 * 1024, 0x42);
    std::fs::write(&big, bytes).expect("big photo");
    page.client
        .execute(
            "document.querySelector('#photo-input').hidden = false;",
            vec![],
        )
        .await
        .expect("show the file input");
    page.find("//input[@id='photo-input']")
        .await
        .send_keys(&big.display().to_string())
        .await
        .expect("choose the big photo");
    let toast = page
        .find("//div[contains(@class,'toast') and contains(@class,'error')]")
        .await;
    let refusal = toast.text().await.expect("toast text");
    assert!(refusal.contains("PHOTO_SAVE_FILE_INVALID"), "{refusal}");
    page.shot("03-photo-too-big").await;
    page.client
        .execute(
            "document.querySelector('#photo-input').hidden = true;",
            vec![],
        )
        .await
        .expect("hide the file input");

    // The sample photo instead.
    page.click("//button[@id='attach']").await;
    page.click("//button[@id='sample-photo']").await;
    page.find("//section[@id='messages']/div[contains(@class,'own')]//img")
        .await;
    page.press("Received 1 photo", "Done").await;
    page.press("Where is the repair?", "My unit").await;
    page.press("may the technician enter", "Yes").await;
    page.expect("When would suit you?").await;
    page.click("(//section[@id='messages']/div[contains(@class,'msg')][contains(., 'When would suit you?')])[last()]//div[@class='ikb']//button[contains(@data-data, ':t')]").await;
    page.press("Please check your repair request", "Yes").await;
    let filed = page.expect("Your repair request is filed").await;
    let filed_text = filed.text().await.expect("text");
    let ticket: String = filed_text
        .split("number ")
        .nth(1)
        .map(|r| {
            r.trim_start_matches('#')
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .unwrap_or_default();
    assert!(!ticket.is_empty(), "no ticket number in {filed_text:?}");
    page.shot("04-owner-filed-repair-with-photo").await;

    // The trace panel shows this action's inbox row, outbox rows and requests.
    page.find("//div[@data-trace='inbox']").await;
    page.find("//div[@data-trace='outbox']").await;
    page.find("//div[@data-trace='request']").await;

    // ---- staff claim it in the group pane -----------------------------
    page.open_chat(GROUP).await;
    let card = format!("工单 #{ticket} ·");
    page.expect(&card).await;
    page.press(&card, "认领").await;
    page.find(&format!(
        "(//section[@id='messages']/div[contains(@class,'msg')][contains(., \"{card}\")])[last()][contains(., '王师傅')]"
    ))
    .await;
    page.shot("05-staff-claimed-in-group").await;

    page.say(&format!("/reply {ticket} The plumber comes at 2 pm today."))
        .await;
    page.open_chat(OWNER).await;
    page.expect("The plumber comes at 2 pm today.").await;
    page.shot("06-owner-sees-reply").await;

    page.open_chat(GROUP).await;
    page.say(&format!("/resolve {ticket} Replaced the tap washer."))
        .await;
    page.find(&format!(
        "(//section[@id='messages']/div[contains(@class,'msg')][contains(., \"{card}\")])[last()][contains(., '已解决')]"
    ))
    .await;
    page.shot("07-staff-resolved").await;

    // ---- the owner rates it ----------------------------------------------
    page.open_chat(OWNER).await;
    page.press("Please rate our service", "5⭐").await;
    page.expect("Thank you for rating").await;
    page.shot("08-owner-rated").await;
    let all = page.messages_text().await;
    assert!(all.contains("Replaced the tap washer."), "{all}");

    // The phone-sized window: the list, then one chat.
    page.client
        .set_window_size(390, 800)
        .await
        .expect("phone size");
    page.client.refresh().await.expect("reload");
    page.ready().await;
    page.expect("Replaced the tap washer.").await;
    page.shot("09-phone-width").await;

    page.client
        .clone()
        .close()
        .await
        .expect("close the browser");
    drop(driver);
    demo.api.assert_nothing_refused();
    demo.shutdown().await.expect("the demo stops cleanly");
    eprintln!(
        "browser test: {:.1} s, screenshots in {}",
        started.elapsed().as_secs_f64(),
        page.shots.display()
    );
}
