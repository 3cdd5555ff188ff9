//! A minimal W3C WebDriver client over chromedriver for headless Chromium: start a session,
//! open a page, read attributes, set a file input, stop. Chromium runs with the flags that keep
//! it off the network and work as root (DESIGN.md, "Known traps").

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long chromedriver gets to listen, and a page element to reach a state.
const WAIT: Duration = Duration::from_secs(30);

/// The W3C key of an element reference in WebDriver responses.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Chromium binary, if one is installed under a usual name.
fn chromium_binary() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&paths).map(move |p| p.join(name)))
        .find(|p| p.is_file())
}

/// A chromedriver process with one headless Chromium session; both end on drop.
pub struct Browser {
    driver: Child,
    agent: ureq::Agent,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and Chromium, or returns `None` (after [`super::missing`]) when
    /// either is not installed.
    pub fn start() -> Option<Browser> {
        if !super::have_tool("chromedriver") {
            return None;
        }
        let Some(chromium) = chromium_binary() else {
            super::missing("the program `chromium`");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed() < WAIT, "chromedriver does not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(120)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut browser = Browser {
            driver,
            agent,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            _profile: profile,
        };
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        )])
        .collect::<Vec<_>>();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium.to_str().unwrap(), "args": args },
        }}});
        let v = browser.call("POST", "/session", Some(caps));
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_owned();
        Some(browser)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, b) => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(b.unwrap_or(json!({})).to_string()),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let text = resp
            .body_mut()
            .read_to_string()
            .expect("WebDriver response");
        let v: Value = serde_json::from_str(&text).expect("WebDriver JSON");
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if value.get("error").is_some() {
            panic!("WebDriver {method} {path}: {value}");
        }
        value
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        self.call(method, &path, body)
    }

    /// Opens `url` and waits for it to load.
    pub fn open(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    fn element(&self, css: &str) -> String {
        let v = self.session_call(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT_KEY].as_str().expect("element id").to_owned()
    }

    /// An attribute of the first element matching `css`.
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.element(css);
        let v = self.session_call("GET", &format!("/element/{id}/attribute/{name}"), None);
        v.as_str().map(str::to_owned)
    }

    /// The rendered text of the first element matching `css`.
    pub fn text(&self, css: &str) -> String {
        let id = self.element(css);
        let v = self.session_call("GET", &format!("/element/{id}/text"), None);
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Chooses `file` in the file input matching `css`, as a user would.
    pub fn choose_file(&self, css: &str, file: &Path) {
        let id = self.element(css);
        let text = file.to_str().expect("UTF-8 path");
        self.session_call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Waits until the attribute `name` of `css` is set and none of `transient`; returns it.
    pub fn wait_attribute(&self, css: &str, name: &str, transient: &[&str]) -> String {
        let start = Instant::now();
        loop {
            if let Some(v) = self.attribute(css, name) {
                if !transient.contains(&v.as_str()) {
                    return v;
                }
            }
            assert!(
                start.elapsed() < WAIT,
                "{css} [{name}] stays in {transient:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = self.agent.delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
