//! `propdesk check`: every problem of the dialogue folder as
//! `file:line: message`.

use std::path::Path;

use super::load::{load_dir, Problem};

/// All problems of the dialogue files in `dir`; empty when they are fine.
#[must_use]
pub fn check_dir(dir: &Path) -> Vec<Problem> {
    match load_dir(dir) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    const MENU: [&str; 7] = [
        "registration",
        "complaint",
        "repair",
        "consultation",
        "fees",
        "survey",
        "suggestion",
    ];

    /// A minimal valid dialogue to break in one place.
    const GOOD: &str = r#"id = "demo"
title = { zh = "演示", en = "Demo", zh-Hant = "演示" }
start = "ask"

[nodes.ask]
kind = "choice"
say = { zh = "选一个", en = "Pick one", zh-Hant = "選一個" }
choices = [
  { key = "a", label = { zh = "甲", en = "A", zh-Hant = "甲" }, next = "bye" },
]

[nodes.bye]
kind = "end"
say = { zh = "再见", en = "Bye", zh-Hant = "再見" }
"#;

    /// Checks `files` written into a fresh folder; returns the problems as
    /// `file:line: message` with the folder stripped.
    fn problems(files: &[(&str, &str)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        check_dir(dir.path())
            .iter()
            .map(|p| {
                p.to_string()
                    .replace(&format!("{}/", dir.path().display()), "")
            })
            .collect()
    }

    fn one(text: &str) -> Vec<String> {
        problems(&[("demo.toml", text)])
    }

    fn assert_has(found: &[String], expected: &str) {
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "expected a problem containing {expected:?}, got {found:#?}"
        );
    }

    #[test]
    fn the_shipped_dialogues_are_clean_and_cover_the_menu() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        let found = check_dir(&dir);
        assert!(
            found.is_empty(),
            "{}",
            found
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        let all = crate::engine::load_dir(&dir).unwrap();
        for id in MENU {
            assert!(all.get(id).is_some(), "missing dialogue {id}");
        }
    }

    #[test]
    fn a_valid_file_has_no_problem() {
        assert_eq!(one(GOOD), Vec::<String>::new());
    }

    #[test]
    fn toml_syntax_error_names_its_line() {
        let bad = GOOD.replace("start = \"ask\"", "start = \"ask");
        assert_has(&one(&bad), "demo.toml:3: ");
    }

    #[test]
    fn unknown_key_is_reported_with_its_line() {
        let bad = GOOD.replace("kind = \"end\"", "kind = \"end\"\nsya = \"typo\"");
        assert_has(&one(&bad), "demo.toml:14: unknown field `sya`");
    }

    #[test]
    fn a_key_of_another_node_kind_is_reported() {
        let bad = GOOD.replace("kind = \"end\"", "kind = \"end\"\nmin_chars = 3");
        assert_has(
            &one(&bad),
            "demo.toml:14: unknown key `min_chars` for a `end` node",
        );
    }

    #[test]
    fn dangling_next_is_reported_where_it_is_written() {
        let bad = GOOD.replace("next = \"bye\"", "next = \"byee\"");
        let found = one(&bad);
        assert_has(
            &found,
            "demo.toml:9: dangling target: node `ask` leads to `byee`",
        );
    }

    #[test]
    fn unreachable_node_is_reported() {
        let bad = format!(
            "{GOOD}\n[nodes.lost]\nkind = \"end\"\nsay = {{ zh = \"丢\", en = \"Lost\", zh-Hant = \"丟\" }}\n"
        );
        assert_has(&one(&bad), "demo.toml:16: unreachable node `lost`");
    }

    #[test]
    fn dead_end_without_next_is_reported() {
        let bad = GOOD.replace(
            "[nodes.bye]",
            "[nodes.name]\nkind = \"text\"\nsay = { zh = \"名字\", en = \"Name\", zh-Hant = \"名字\" }\nsave = \"name\"\n\n[nodes.bye]",
        )
        .replace("next = \"bye\"", "next = \"name\"");
        assert_has(
            &one(&bad),
            "demo.toml:12: dead end: node `name` has no `next`",
        );
    }

    #[test]
    fn missing_translation_is_reported() {
        let bad = GOOD.replace(
            "{ zh = \"再见\", en = \"Bye\", zh-Hant = \"再見\" }",
            "{ zh = \"再见\" }",
        );
        assert_has(
            &one(&bad),
            "demo.toml:14: missing translation: `say` has no `en` text",
        );
    }

    #[test]
    fn regex_that_does_not_compile_is_reported() {
        let bad = GOOD.replace(
            "[nodes.bye]",
            "[nodes.unit]\nkind = \"text\"\nsay = { zh = \"房号\", en = \"Unit\", zh-Hant = \"房號\" }\nsave = \"unit\"\npattern = '[0-9'\nexample = \"1\"\nnext = \"bye\"\n\n[nodes.bye]",
        )
        .replace("next = \"bye\" }", "next = \"unit\" }");
        assert_has(&one(&bad), "demo.toml:16: the regex does not compile");
    }

    #[test]
    fn button_label_over_64_characters_is_reported() {
        let long = "A".repeat(65);
        let bad = GOOD.replace("en = \"A\"", &format!("en = \"{long}\""));
        assert_has(
            &one(&bad),
            "demo.toml:9: choice label (en) is 65 characters",
        );
    }

    #[test]
    fn callback_data_over_64_bytes_is_reported() {
        let key = "k".repeat(50);
        let bad = GOOD.replace("key = \"a\"", &format!("key = \"{key}\""));
        assert_has(&one(&bad), "demo.toml:9: callback data for choice");
    }

    #[test]
    fn text_over_4096_characters_is_reported() {
        let long = "字".repeat(4097);
        let bad = GOOD.replace("zh = \"再见\"", &format!("zh = \"{long}\""));
        assert_has(&one(&bad), "demo.toml:14: `say` (zh) is 4097 characters");
    }

    #[test]
    fn unknown_dialogue_id_is_reported() {
        let bad = GOOD.replace(
            "[nodes.bye]\nkind = \"end\"",
            "[nodes.bye]\nkind = \"goto\"\ndialogue = \"registraton\"",
        );
        assert_has(
            &one(&bad),
            "demo.toml:14: unknown dialogue id `registraton`",
        );
    }

    #[test]
    fn duplicate_dialogue_ids_are_reported() {
        let found = problems(&[("demo.toml", GOOD), ("demo2.toml", GOOD)]);
        assert_has(&found, "demo2.toml:1: duplicate dialogue id `demo`");
    }

    #[test]
    fn duplicate_choice_keys_are_reported() {
        let bad = GOOD.replace(
            "  { key = \"a\"",
            "  { key = \"a\", label = { zh = \"乙\", en = \"B\", zh-Hant = \"乙\" }, next = \"bye\" },\n  { key = \"a\"",
        );
        assert_has(&one(&bad), "demo.toml:10: duplicate choice key `a`");
    }

    /// `GOOD` with its `bye` node replaced by `node` (from line 12).
    fn with_bye(node: &str) -> String {
        let (head, _) = GOOD.split_once("[nodes.bye]").unwrap();
        format!("{head}{node}")
    }

    #[test]
    fn an_unknown_key_in_a_node_names_its_line_the_key_and_the_node() {
        let bad = GOOD.replace("kind = \"choice\"", "kind = \"choice\"\ncolums = 2");
        let found = one(&bad);
        assert_has(
            &found,
            "demo.toml:7: unknown field `colums`, expected one of",
        );
        assert_has(&found, "`columns`, `save` (node `ask`)");
        assert_eq!(found.len(), 1, "{found:#?}");
    }

    #[test]
    fn an_unknown_key_inside_a_choice_names_the_choice_line() {
        let bad = GOOD.replace(", next = \"bye\" }", ", nxt = \"bye\" }");
        assert_has(
            &one(&bad),
            "demo.toml:9: unknown field `nxt`, expected one of `key`, `label`, `next`, `set` (`choices` of node `ask`)",
        );
    }

    #[test]
    fn a_missing_required_key_is_reported_at_its_node() {
        let bad = with_bye(
            "[nodes.bye]\nkind = \"text\"\nsay = { zh = \"名字\", en = \"Name\", zh-Hant = \"名字\" }\nnext = \"ask\"\n",
        );
        let found = one(&bad);
        assert_has(&found, "demo.toml:12: node `bye` needs `save`");
        assert_eq!(found.len(), 1, "{found:#?}");
        let bad = with_bye("[nodes.bye]\nkind = \"end\"\n");
        assert_has(
            &one(&bad),
            "demo.toml:12: node `bye` needs `say`: what the bot tells the owner",
        );
        let bad = GOOD.replace(
            "title = { zh = \"演示\", en = \"Demo\", zh-Hant = \"演示\" }\n",
            "",
        );
        assert_has(&one(&bad), "demo.toml:1: missing field `title`");
    }

    #[test]
    fn a_choice_without_next_is_a_dead_end_on_the_choice_line() {
        let bad = GOOD.replace(", next = \"bye\" }", " }");
        assert_has(
            &one(&bad),
            "demo.toml:9: dead end: node `ask` has no `next` in one of its `choices`",
        );
    }

    #[test]
    fn a_wrong_type_names_its_line_and_key() {
        let bad = with_bye(
            "[nodes.bye]\nkind = \"text\"\nsay = { zh = \"名字\", en = \"Name\", zh-Hant = \"名字\" }\nmin_chars = \"three\"\nsave = \"name\"\nnext = \"ask\"\n",
        );
        assert_has(
            &one(&bad),
            "demo.toml:15: invalid type: string \"three\", expected usize (`min_chars` of node `bye`)",
        );
        let bad = GOOD.replace("kind = \"choice\"", "kind = \"choice\"\ncolumns = 300");
        assert_has(
            &one(&bad),
            "demo.toml:7: invalid value: integer `300`, expected u8 (`columns` of node `ask`)",
        );
    }

    #[test]
    fn a_node_kind_that_does_not_exist_is_reported_at_its_kind() {
        let bad = GOOD.replace("kind = \"end\"", "kind = \"visit\"");
        let found = one(&bad);
        assert_has(
            &found,
            "demo.toml:13: unknown variant `visit`, expected one of `message`",
        );
        assert_has(&found, "(`kind` of node `bye`)");
        assert_eq!(found.len(), 1, "an unread node strands nothing: {found:#?}");
        let bad = GOOD.replace("kind = \"end\"\n", "");
        assert_has(
            &one(&bad),
            "demo.toml:12: node `bye` needs `kind`: one of message, choice",
        );
    }

    #[test]
    fn every_bad_node_is_reported_not_only_the_first() {
        let bad = GOOD
            .replace("kind = \"choice\"", "kind = \"choice\"\ncolumns = \"two\"")
            .replace("kind = \"end\"", "kind = \"end\"\nnext = \"ask\"");
        let found = one(&bad);
        assert_has(
            &found,
            "demo.toml:7: invalid type: string \"two\", expected u8",
        );
        assert_has(
            &found,
            "demo.toml:15: unknown key `next` for a `end` node (`bye`); `message`, `text`",
        );
        assert_eq!(found.len(), 2, "{found:#?}");
    }

    #[test]
    fn a_loop_that_never_asks_is_reported() {
        let bad = GOOD.replace(
            "[nodes.bye]\nkind = \"end\"",
            "[nodes.bye]\nkind = \"message\"\nnext = \"bye\"",
        );
        assert_has(&one(&bad), "loop that never asks");
    }
}
