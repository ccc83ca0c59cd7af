//! What went wrong, in the reader's language. The sentences are written once, in
//! English, where the rule lives (`domain`, `rooms`, `auth`, `error`) and the API
//! sends them as they are; pages look the Chinese up here by that English sentence.
//! A sentence with no translation yet is shown in English rather than not at all.

use super::Lang;
use crate::error::{AppError, GENERIC_INTERNAL};

/// English sentence (or, for those that name a value, its start) → Chinese.
const ZH_SENTENCES: &[(&str, &str)] = &[
    ("Wrong username or password.", "用户名或密码错误。"),
    ("You need to log in first.", "请先登录。"),
    (
        "Hearth is restarting. Try again in a moment.",
        "Hearth 正在重启，请稍后再试。",
    ),
    (GENERIC_INTERNAL, "服务器出了点问题，请再试一次。"),
    (
        "Password must be 8 to 1024 bytes long.",
        "密码长度须为 8 到 1024 字节。",
    ),
    ("Message text must not be empty.", "消息不能为空。"),
    ("Message text must be at most", "消息最多 4000 个字符。"),
    (
        "Username must be 3 to 32 characters long.",
        "用户名须为 3 到 32 个字符。",
    ),
    (
        "Username may contain only",
        "用户名只能包含字母、数字、“_”、“.”和“-”。",
    ),
    (
        "Room name must be 1 to 64 characters long.",
        "聊天室名称须为 1 到 64 个字符。",
    ),
    (
        "Room name must contain a letter or digit",
        "聊天室名称须包含字母或数字，不能只有点。",
    ),
    (
        "Room name may contain only",
        "聊天室名称只能包含字母、数字、空格、“_”、“.”和“-”。",
    ),
    (
        "A room with that name already exists.",
        "已有同名的聊天室。",
    ),
    ("There is no room with that name.", "没有这个名称的聊天室。"),
    (
        "You are not a member of this room.",
        "你不是这个聊天室的成员。",
    ),
    (
        "You are already a member of this room.",
        "你已经是这个聊天室的成员了。",
    ),
    ("Cross-site request refused.", "已拒绝跨站请求。"),
    ("That username is taken.", "这个用户名已被占用。"),
];

/// The sentence a reader sees for `err`.
pub fn error_text(lang: Lang, err: &AppError) -> String {
    // Display, not `detail()`: an internal error shows the generic sentence, and its
    // cause is logged where the error is rendered, once.
    let english = err.to_string();
    match (lang, err) {
        (Lang::En, _) => english,
        (Lang::Zh, AppError::TooManyRequests { retry_after_secs }) => {
            format!("尝试次数过多，请 {retry_after_secs} 秒后再试。")
        }
        (Lang::Zh, _) => translate(&english).unwrap_or(english),
    }
}

/// A short title for the kind of problem, for error pages.
pub fn error_title(lang: Lang, err: Option<&AppError>, english: &str) -> String {
    if lang == Lang::En {
        return english.to_owned();
    }
    let zh = match err {
        Some(AppError::Invalid(_)) => "输入有误",
        Some(AppError::Unauthorized) => "尚未登录",
        Some(AppError::BadCredentials) => "登录失败",
        Some(AppError::Forbidden(_)) => "无权访问",
        Some(AppError::NotFound(_)) => "找不到",
        Some(AppError::Conflict(_)) => "冲突",
        Some(AppError::TooManyRequests { .. }) => "请求过多",
        Some(AppError::ShuttingDown) => "正在关闭",
        Some(AppError::Internal(_)) | None => "出错了",
    };
    zh.to_owned()
}

fn translate(english: &str) -> Option<String> {
    ZH_SENTENCES
        .iter()
        .find(|(en, _)| english.starts_with(en))
        .map(|(_, zh)| (*zh).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MessageText, Password, RoomName, Username};

    /// Every sentence a page can show for a refused form or a failed request.
    fn every_error() -> Vec<AppError> {
        let invalid = |e| AppError::Invalid(e);
        vec![
            invalid(Username::parse("ab").unwrap_err()),
            invalid(Username::parse("a b c").unwrap_err()),
            invalid(Password::parse("short").unwrap_err()),
            invalid(RoomName::parse("").unwrap_err()),
            invalid(RoomName::parse("a/b").unwrap_err()),
            invalid(RoomName::parse("..").unwrap_err()),
            invalid(MessageText::parse("  ").unwrap_err()),
            invalid(MessageText::parse(&"x".repeat(4001)).unwrap_err()),
            AppError::Unauthorized,
            AppError::BadCredentials,
            AppError::ShuttingDown,
            AppError::internal(anyhow::anyhow!("disk on fire")),
            AppError::Conflict("A room with that name already exists."),
            AppError::NotFound("There is no room with that name."),
            AppError::Forbidden("You are not a member of this room."),
            AppError::Conflict("You are already a member of this room."),
            AppError::Forbidden("Cross-site request refused."),
            AppError::Conflict("That username is taken."),
        ]
    }

    #[test]
    fn every_error_a_page_shows_has_a_chinese_sentence() {
        for err in every_error() {
            let english = err.to_string();
            assert!(translate(&english).is_some(), "no Chinese for {english:?}");
            assert_eq!(error_text(Lang::En, &err), english);
        }
    }

    #[test]
    fn a_wait_keeps_its_number_in_chinese() {
        let err = AppError::TooManyRequests {
            retry_after_secs: 42,
        };
        assert_eq!(error_text(Lang::Zh, &err), "尝试次数过多，请 42 秒后再试。");
    }

    #[test]
    fn an_unknown_sentence_is_shown_in_english() {
        let err = AppError::Forbidden("Something new.");
        assert_eq!(error_text(Lang::Zh, &err), "Something new.");
    }
}
