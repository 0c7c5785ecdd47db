//! Request decoding: query string, JSON, `application/x-www-form-urlencoded`
//! and `multipart/form-data` (teloxide's uploads: nested objects as JSON
//! text, files as parts named by `attach://<name>` references).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::spec::{Spec, FILE_MARKER};

/// An uploaded file part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// A decoded request: parameters as JSON, plus the file parts that other
/// parameters point to with `attach://<name>`.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    pub params: Value,
    pub attachments: HashMap<String, Upload>,
    /// File parts sent directly as a parameter (`photo` = the file itself).
    pub direct_files: HashMap<String, Upload>,
}

/// Decodes `body` by its content type, merged over the query string.
pub(crate) fn decode(
    spec: &Spec,
    method: &str,
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Decoded, String> {
    let mut fields: Vec<(String, Value)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), json!(v)))
                .collect()
        })
        .unwrap_or_default();
    let mime = content_type.unwrap_or_default().to_ascii_lowercase();
    let mut decoded = Decoded::default();
    let mut files: Vec<(String, Upload)> = Vec::new();
    if body.iter().all(u8::is_ascii_whitespace) {
        // no body: query parameters only
    } else if mime.starts_with("application/json") {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("can't parse JSON body: {e}"))?;
        let Value::Object(obj) = value else {
            return Err("the JSON body must be an object".into());
        };
        let mut params = spec
            .coerce_form(method, fields)
            .as_object()
            .cloned()
            .unwrap_or_default();
        params.extend(obj);
        decoded.params = Value::Object(params);
        return Ok(decoded);
    } else if mime.starts_with("application/x-www-form-urlencoded") {
        fields.extend(url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), json!(v))));
    } else if mime.starts_with("multipart/form-data") {
        let boundary =
            boundary(content_type.unwrap_or_default()).ok_or("multipart body without boundary")?;
        for part in parse_multipart(body, &boundary)? {
            match part.file_name {
                Some(file_name) => files.push((
                    part.name,
                    Upload {
                        file_name: Some(file_name),
                        bytes: part.data,
                    },
                )),
                None => {
                    let text = String::from_utf8(part.data)
                        .map_err(|_| format!("field {} is not UTF-8", part.name))?;
                    fields.push((part.name, json!(text)));
                }
            }
        }
    } else {
        return Err(format!("unsupported content type {mime:?}"));
    }
    let referenced = |name: &str| {
        let reference = format!("attach://{name}");
        fields
            .iter()
            .any(|(_, v)| v.as_str().is_some_and(|s| s.contains(&reference)))
    };
    let mut markers = Vec::new();
    for (name, upload) in files {
        if referenced(&name) {
            decoded.attachments.insert(name, upload);
        } else {
            let marker =
                json!({ FILE_MARKER: { "name": upload.file_name, "size": upload.bytes.len() } });
            markers.push((name.clone(), marker));
            decoded.direct_files.insert(name, upload);
        }
    }
    let mut params: Map<String, Value> = spec
        .coerce_form(method, fields)
        .as_object()
        .cloned()
        .unwrap_or_default();
    params.extend(markers);
    decoded.params = Value::Object(params);
    Ok(decoded)
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

#[derive(Debug)]
struct Part {
    name: String,
    file_name: Option<String>,
    data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A small RFC 7578 reader: enough for reqwest's (and curl's) bodies.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0).ok_or("multipart body without a first boundary")?
        + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        let headers_start = at + 2; // CRLF after the boundary line
        let headers_end =
            find(body, b"\r\n\r\n", headers_start).ok_or("multipart part without headers")?;
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let data_start = headers_end + 4;
        let data_end =
            find(body, &next_delimiter, data_start).ok_or("multipart part without an end")?;
        let (mut name, mut file_name) = (None, None);
        for line in headers.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if !key.trim().eq_ignore_ascii_case("content-disposition") {
                continue;
            }
            for param in value.split(';').map(str::trim) {
                match param.split_once('=') {
                    Some(("name", v)) => name = Some(v.trim_matches('"').to_owned()),
                    Some(("filename", v)) => file_name = Some(v.trim_matches('"').to_owned()),
                    _ => {}
                }
            }
        }
        let name = name.ok_or("multipart part without a name")?;
        parts.push(Part {
            name,
            file_name,
            data: body[data_start..data_end].to_vec(),
        });
        at = data_end + next_delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_fields_files_and_attach_references_are_told_apart() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n\
--XX\r\nContent-Disposition: form-data; name=\"media\"\r\n\r\n[{\"type\":\"photo\",\"media\":\"attach://f1\"},{\"type\":\"photo\",\"media\":\"id2\"}]\r\n\
--XX\r\nContent-Disposition: form-data; name=\"f1\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\r\n\
--XX--\r\n";
        let spec = Spec::bundled().unwrap();
        let d = decode(
            &spec,
            "sendMediaGroup",
            None,
            Some("multipart/form-data; boundary=XX"),
            body,
        )
        .unwrap();
        assert_eq!(d.params["chat_id"], json!(42));
        assert_eq!(d.params["media"][0]["media"], json!("attach://f1"));
        assert_eq!(d.attachments["f1"].bytes, vec![0xff, 0xd8]);
        assert_eq!(spec.check("sendMediaGroup", &d.params), Ok(()));
    }

    #[test]
    fn form_and_query_parameters_are_merged() {
        let spec = Spec::bundled().unwrap();
        let d = decode(
            &spec,
            "sendMessage",
            Some("chat_id=7"),
            Some("application/x-www-form-urlencoded"),
            b"text=hello+there",
        )
        .unwrap();
        assert_eq!(d.params, json!({"chat_id": 7, "text": "hello there"}));
    }
}
