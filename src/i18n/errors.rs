//! What went wrong, in the reader's language: each error's [`Code`] (with the value
//! it names, if any) looked up in the language's catalogue. The match is exhaustive,
//! so a new code does not compile until every language says it.

use super::Lang;
use crate::{
    domain::{
        MAX_DIRECT_OTHERS, MAX_MESSAGE_CHARS, MAX_PASSWORD_BYTES, MAX_TERMS, MIN_PASSWORD_CHARS,
        MIN_TERM_CHARS,
    },
    error::{AppError, Code},
};

/// The sentence a reader sees for `err`.
pub fn error_text(lang: Lang, err: &AppError) -> String {
    let value = match err {
        AppError::Invalid(v) => v.value.as_deref(),
        _ => None,
    };
    let retry = err.retry_after().unwrap_or(1);
    match lang {
        Lang::En => english(err.code(), value, retry),
        Lang::Zh => chinese(err.code(), value, retry),
    }
}

/// The sentence for a code alone (no value to name), for error frames and tests.
pub fn code_text(lang: Lang, code: Code) -> String {
    match lang {
        Lang::En => english(code, None, 1),
        Lang::Zh => chinese(code, None, 1),
    }
}

fn english(code: Code, value: Option<&str>, retry_secs: u64) -> String {
    let named = |v: Option<&str>| v.map(|c| format!(" (not “{c}”)")).unwrap_or_default();
    match code {
        Code::UsernameLength => "Username must be 3 to 32 characters long (2 are enough in Chinese, Japanese or Korean).".into(),
        Code::UsernameSpace => "Spaces are not allowed in usernames.".into(),
        Code::UsernameChar => format!(
            "Username may contain only letters, digits, “_”, “.” and “-”{}.",
            named(value)
        ),
        Code::UsernameMixedScripts => {
            "Username may not mix letters of different scripts (such as Latin and Cyrillic).".into()
        }
        Code::PasswordLength => {
            format!(
                "Password must be at least {MIN_PASSWORD_CHARS} characters, and at most {MAX_PASSWORD_BYTES} bytes, long."
            )
        }
        Code::PasswordCommon => "That password is too common. Choose another.".into(),
        Code::RoomNameLength => "Room name must be 1 to 64 characters long.".into(),
        Code::RoomNameDots => "Room name must contain a letter or digit, not only dots.".into(),
        Code::RoomNameChar => format!(
            "Room name may contain only letters, digits, spaces, “_”, “.” and “-”{}.",
            named(value)
        ),
        Code::ControlChar => "Control characters are not allowed.".into(),
        Code::MessageEmpty => "Message text must not be empty.".into(),
        Code::MessageTooLong => {
            format!("Message text must be at most {MAX_MESSAGE_CHARS} characters.")
        }
        Code::ClientIdLength => "client_id must be 1 to 64 characters.".into(),
        Code::LimitRange => format!(
            "limit must be between 1 and {}.",
            value.unwrap_or("the maximum")
        ),
        Code::BadFrame => "Frames must be JSON like {\"text\":\"…\",\"client_id\":\"…\"}.".into(),
        Code::BinaryFrame => "Binary frames are not supported; send JSON text.".into(),
        Code::WrongType => format!(
            "The request body is not valid: {}.",
            value.unwrap_or("check each field's type")
        ),
        Code::NotOneEmoji => "A reaction must be exactly one emoji.".into(),
        Code::SearchEmpty => "Type something to search for.".into(),
        Code::SearchTermTooShort => format!(
            "Each search term needs at least {MIN_TERM_CHARS} characters{}.",
            value.map(|t| format!(" (not “{t}”)")).unwrap_or_default()
        ),
        Code::SearchTooManyTerms => format!("Search for at most {MAX_TERMS} terms at once."),
        Code::BadDate => format!(
            "Dates are written YYYY-MM-DD, such as 2026-11-30{}.",
            value.map(|d| format!(" (not “{d}”)")).unwrap_or_default()
        ),
        Code::BadQuery => "That address has a value Hearth cannot read.".into(),
        Code::DirectCount => format!(
            "A direct message is with 1 to {MAX_DIRECT_OTHERS} other people."
        ),
        Code::DirectSelf => "Choose the other people: you are in it already.".into(),
        Code::DirectDuplicate => format!(
            "Each person once, please{}.",
            value.map(|n| format!(" (“{n}” is named twice)")).unwrap_or_default()
        ),
        Code::BadNotify => "Notifications are all, mentions or none.".into(),
        Code::FileMissing => "Choose a file to send.".into(),
        Code::FileEmpty => "That file is empty.".into(),
        Code::FileNameTooLong => "A file name can be at most 255 bytes long.".into(),
        Code::BadUpload => "The upload was not a readable form; try again.".into(),
        Code::NotAnImage => "That is not a PNG, JPEG, GIF or WebP image Hearth can read.".into(),
        Code::NoSuchFile => "That file does not exist, or its message was deleted.".into(),
        Code::BadEndpoint => "A push endpoint must be an https: address.".into(),
        Code::BadPushKey => "The subscription's keys are not a P-256 key and a 16-byte secret.".into(),
        Code::DirectRoom => "A direct conversation is only for the people in it.".into(),
        Code::RegistrationClosed => {
            "This Hearth is not taking new accounts: ask its admin for one.".into()
        }
        Code::NoSuchUser => "There is nobody with that username.".into(),
        Code::WrongPassword => "Your current password is not right.".into(),
        Code::BadRole => "A role is admin or member (bots are made as bots).".into(),
        Code::BadRegistration => "Registration is open, invite or closed.".into(),
        Code::BadInvite => "An invitation lasts from 1 hour to 30 days, for 1 to 1000 people.".into(),
        Code::BadWebhookUrl => "A webhook address must be an http: or https: URL.".into(),
        Code::BadHookBody => "Send {\"text\": \"…\"} as JSON, or plain text.".into(),
        Code::BadToken => "That token is not valid. Ask an admin for a new one.".into(),
        Code::NotAnAdmin => "Only an admin can do that.".into(),
        Code::AccountDeactivated => "This account has been deactivated. Ask an admin.".into(),
        Code::InviteExpired => "This invitation has expired. Ask for a new one.".into(),
        Code::InviteUsedUp => "This invitation has been used as many times as it may be. Ask for a new one.".into(),
        Code::InviteRevoked => "This invitation was withdrawn. Ask for a new one.".into(),
        Code::ResetLinkUsed => "This reset link has been used already. Ask an admin for a new one.".into(),
        Code::ResetLinkExpired => "This reset link has expired. Ask an admin for a new one.".into(),
        Code::NoSuchInvite => "This invitation does not exist. Check the link, or ask for a new one.".into(),
        Code::NoSuchResetLink => "This reset link does not exist. Check the link, or ask an admin for a new one.".into(),
        Code::NoSuchSession => "That session has already ended.".into(),
        Code::NoSuchBot => "There is no bot with that name.".into(),
        Code::LastAdmin => "Hearth needs at least one active admin: make someone else an admin first.".into(),
        Code::NotLoggedIn => "You need to log in first.".into(),
        Code::BadCredentials => "Wrong username or password.".into(),
        Code::CrossSite => "Cross-site request refused.".into(),
        Code::NotAMember => "You are not a member of this room.".into(),
        Code::NotTheAuthor => "Only the person who wrote a message can change it.".into(),
        Code::NoSuchRoom => "There is no room with that name.".into(),
        Code::NoSuchMessage => "That message does not exist, or was deleted.".into(),
        Code::NoSuchPage => "There is no page at this address.".into(),
        Code::UsernameTaken => "That username is taken.".into(),
        Code::RoomExists => "A room with that name already exists.".into(),
        Code::AlreadyMember => "You are already a member of this room.".into(),
        Code::TooLarge => "That request or file is too large.".into(),
        Code::TooManyRequests if retry_secs == 1 => {
            "Too many attempts. Try again in 1 second.".into()
        }
        Code::TooManyRequests => {
            format!("Too many attempts. Try again in {retry_secs} seconds.")
        }
        Code::TooManySockets => "Your account has too many connections open on this server. Close a tab or window, then try again.".into(),
        Code::ShuttingDown => "Hearth is restarting. Try again in a moment.".into(),
        Code::Internal => "Something went wrong on our side. Please try again.".into(),
    }
}

fn chinese(code: Code, value: Option<&str>, retry_secs: u64) -> String {
    let named = |v: Option<&str>| v.map(|c| format!("（不能用“{c}”）")).unwrap_or_default();
    match code {
        Code::UsernameLength => "用户名须为 3 到 32 个字符（中文、日文或韩文 2 个字即可）。".into(),
        Code::UsernameSpace => "用户名中不能有空格。".into(),
        Code::UsernameChar => format!("用户名只能包含字母、数字、“_”、“.”和“-”{}。", named(value)),
        Code::UsernameMixedScripts => {
            "用户名不能混用不同文字的字母（例如拉丁字母和西里尔字母）。".into()
        }
        Code::PasswordLength => {
            format!("密码须至少 {MIN_PASSWORD_CHARS} 个字符，且不超过 {MAX_PASSWORD_BYTES} 字节。")
        }
        Code::PasswordCommon => "这个密码太常见了，请换一个。".into(),
        Code::RoomNameLength => "聊天室名称须为 1 到 64 个字符。".into(),
        Code::RoomNameDots => "聊天室名称须包含字母或数字，不能只有点。".into(),
        Code::RoomNameChar => format!(
            "聊天室名称只能包含字母、数字、空格、“_”、“.”和“-”{}。",
            named(value)
        ),
        Code::ControlChar => "不能包含控制字符。".into(),
        Code::MessageEmpty => "消息不能为空。".into(),
        Code::MessageTooLong => format!("消息最多 {MAX_MESSAGE_CHARS} 个字符。"),
        Code::ClientIdLength => "client_id 须为 1 到 64 个字符。".into(),
        Code::LimitRange => format!("limit 须在 1 到 {} 之间。", value.unwrap_or("上限")),
        Code::BadFrame => "帧必须是 JSON，例如 {\"text\":\"…\",\"client_id\":\"…\"}。".into(),
        Code::BinaryFrame => "不支持二进制帧，请发送 JSON 文本。".into(),
        Code::WrongType => format!(
            "请求内容无效：{}。",
            value.unwrap_or("请检查每个字段的类型")
        ),
        Code::NotOneEmoji => "回应必须恰好是一个表情符号。".into(),
        Code::SearchEmpty => "请输入要搜索的内容。".into(),
        Code::SearchTermTooShort => format!(
            "每个搜索词至少 {MIN_TERM_CHARS} 个字符{}。",
            value
                .map(|t| format!("（不能是“{t}”）"))
                .unwrap_or_default()
        ),
        Code::SearchTooManyTerms => format!("一次最多搜索 {MAX_TERMS} 个词。"),
        Code::BadDate => format!(
            "日期格式为 YYYY-MM-DD，例如 2026-11-30{}。",
            value
                .map(|d| format!("（不能是“{d}”）"))
                .unwrap_or_default()
        ),
        Code::BadQuery => "这个地址里有 Hearth 读不懂的值。".into(),
        Code::DirectCount => format!("私信的对象须为 1 到 {MAX_DIRECT_OTHERS} 个人。"),
        Code::DirectSelf => "请选择其他人：你已经在里面了。".into(),
        Code::DirectDuplicate => format!(
            "每个人只能选一次{}。",
            value
                .map(|n| format!("（“{n}”重复了）"))
                .unwrap_or_default()
        ),
        Code::BadNotify => "通知级别只能是 all、mentions 或 none。".into(),
        Code::FileMissing => "请选择要发送的文件。".into(),
        Code::FileEmpty => "这个文件是空的。".into(),
        Code::FileNameTooLong => "文件名最长 255 字节。".into(),
        Code::BadUpload => "上传的表单无法读取，请重试。".into(),
        Code::NotAnImage => "这不是 Hearth 能读取的 PNG、JPEG、GIF 或 WebP 图片。".into(),
        Code::NoSuchFile => "该文件不存在，或其消息已被删除。".into(),
        Code::BadEndpoint => "推送地址必须是 https: 地址。".into(),
        Code::BadPushKey => "订阅的密钥不是 P-256 公钥和 16 字节的密钥。".into(),
        Code::DirectRoom => "私信只属于其中的人。".into(),
        Code::RegistrationClosed => "此 Hearth 暂不开放注册：请向管理员索取账号。".into(),
        Code::NoSuchUser => "没有这个用户名的人。".into(),
        Code::WrongPassword => "当前密码不正确。".into(),
        Code::BadRole => "角色只能是 admin 或 member（机器人只能作为机器人创建）。".into(),
        Code::BadRegistration => "注册方式只能是 open、invite 或 closed。".into(),
        Code::BadInvite => "邀请的有效期为 1 小时到 30 天，可供 1 到 1000 人使用。".into(),
        Code::BadWebhookUrl => "Webhook 地址必须是 http: 或 https: 网址。".into(),
        Code::BadHookBody => "请发送 JSON {\"text\": \"…\"} 或纯文本。".into(),
        Code::BadToken => "这个令牌无效，请向管理员索取新的令牌。".into(),
        Code::NotAnAdmin => "只有管理员才能这样做。".into(),
        Code::AccountDeactivated => "这个账号已被停用，请联系管理员。".into(),
        Code::InviteExpired => "这个邀请已过期，请索取新的邀请。".into(),
        Code::InviteUsedUp => "这个邀请的使用次数已满，请索取新的邀请。".into(),
        Code::InviteRevoked => "这个邀请已被撤回，请索取新的邀请。".into(),
        Code::ResetLinkUsed => "这个重置链接已经用过了，请向管理员索取新的链接。".into(),
        Code::ResetLinkExpired => "这个重置链接已过期，请向管理员索取新的链接。".into(),
        Code::NoSuchInvite => "这个邀请不存在。请检查链接，或索取新的邀请。".into(),
        Code::NoSuchResetLink => "这个重置链接不存在。请检查链接，或向管理员索取新的链接。".into(),
        Code::NoSuchSession => "这个会话已经结束了。".into(),
        Code::NoSuchBot => "没有这个名字的机器人。".into(),
        Code::LastAdmin => "Hearth 至少需要一位有效的管理员：请先让其他人成为管理员。".into(),
        Code::NotLoggedIn => "请先登录。".into(),
        Code::BadCredentials => "用户名或密码错误。".into(),
        Code::CrossSite => "已拒绝跨站请求。".into(),
        Code::NotAMember => "你不是这个聊天室的成员。".into(),
        Code::NotTheAuthor => "只有消息的作者才能修改它。".into(),
        Code::NoSuchRoom => "没有这个名称的聊天室。".into(),
        Code::NoSuchMessage => "这条消息不存在，或已被删除。".into(),
        Code::NoSuchPage => "这个地址没有页面。".into(),
        Code::UsernameTaken => "这个用户名已被占用。".into(),
        Code::RoomExists => "已有同名的聊天室。".into(),
        Code::AlreadyMember => "你已经是这个聊天室的成员了。".into(),
        Code::TooLarge => "请求或文件太大。".into(),
        Code::TooManyRequests => format!("尝试次数过多，请 {retry_secs} 秒后再试。"),
        Code::TooManySockets => {
            "你的账号在这台服务器上打开的连接太多了。请关闭一个标签页或窗口后再试。".into()
        }
        Code::ShuttingDown => "Hearth 正在重启，请稍后再试。".into(),
        Code::Internal => "服务器出了点问题，请再试一次。".into(),
    }
}

/// The heading of an error page. An address that leads nowhere or cannot be read is
/// said in plain words (HTTP's "Not Found" and "Bad Request" are for programmers);
/// anything else has its problem's title.
pub fn page_title(lang: Lang, status: poem::http::StatusCode) -> &'static str {
    use poem::http::StatusCode as S;
    match (lang, status) {
        (Lang::En, S::NOT_FOUND | S::METHOD_NOT_ALLOWED) => "Nothing here",
        (Lang::En, S::BAD_REQUEST) => "Cannot open this address",
        (Lang::Zh, S::NOT_FOUND | S::METHOD_NOT_ALLOWED) => "这里什么也没有",
        (Lang::Zh, S::BAD_REQUEST) => "无法打开这个地址",
        _ => error_title(lang, status),
    }
}

/// A short title for the kind of problem, for error pages and problem+json.
pub fn error_title(lang: Lang, status: poem::http::StatusCode) -> &'static str {
    use poem::http::StatusCode as S;
    match (lang, status) {
        (Lang::En, S::UNPROCESSABLE_ENTITY) => "Invalid input",
        (Lang::En, S::UNAUTHORIZED) => "Not logged in",
        (Lang::En, S::FORBIDDEN) => "Forbidden",
        (Lang::En, S::NOT_FOUND) => "Not found",
        (Lang::En, S::CONFLICT) => "Conflict",
        (Lang::En, S::PAYLOAD_TOO_LARGE) => "Too large",
        (Lang::En, S::TOO_MANY_REQUESTS) => "Too many requests",
        (Lang::En, S::SERVICE_UNAVAILABLE) => "Shutting down",
        (Lang::En, S::BAD_REQUEST) => "Bad request",
        (Lang::En, S::METHOD_NOT_ALLOWED) => "Method not allowed",
        (Lang::En, _) => "Something went wrong",
        (Lang::Zh, S::UNPROCESSABLE_ENTITY) => "输入有误",
        (Lang::Zh, S::UNAUTHORIZED) => "尚未登录",
        (Lang::Zh, S::FORBIDDEN) => "无权访问",
        (Lang::Zh, S::NOT_FOUND) => "找不到",
        (Lang::Zh, S::CONFLICT) => "冲突",
        (Lang::Zh, S::PAYLOAD_TOO_LARGE) => "内容太大",
        (Lang::Zh, S::TOO_MANY_REQUESTS) => "请求过多",
        (Lang::Zh, S::SERVICE_UNAVAILABLE) => "正在关闭",
        (Lang::Zh, S::BAD_REQUEST) => "请求有误",
        (Lang::Zh, S::METHOD_NOT_ALLOWED) => "不支持的请求方法",
        (Lang::Zh, _) => "出错了",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MessageText, Password, RoomName, Username};

    fn invalid(err: crate::error::ValidationError) -> AppError {
        AppError::Invalid(err)
    }

    #[test]
    fn a_refused_value_is_named_in_both_languages() {
        let err = invalid(Username::parse("bob!").unwrap_err());
        assert_eq!(
            error_text(Lang::En, &err),
            "Username may contain only letters, digits, “_”, “.” and “-” (not “!”)."
        );
        assert!(error_text(Lang::Zh, &err).contains("“!”"));
    }

    #[test]
    fn a_space_in_a_username_is_said_plainly() {
        let err = invalid(Username::parse("bob smith").unwrap_err());
        assert_eq!(
            error_text(Lang::En, &err),
            "Spaces are not allowed in usernames."
        );
        assert_eq!(error_text(Lang::Zh, &err), "用户名中不能有空格。");
    }

    #[test]
    fn waits_of_one_second_and_many_read_correctly() {
        let wait = |secs| AppError::TooManyRequests {
            retry_after_secs: secs,
        };
        assert_eq!(
            error_text(Lang::En, &wait(1)),
            "Too many attempts. Try again in 1 second."
        );
        assert_eq!(
            error_text(Lang::En, &wait(42)),
            "Too many attempts. Try again in 42 seconds."
        );
        assert_eq!(
            error_text(Lang::Zh, &wait(42)),
            "尝试次数过多，请 42 秒后再试。"
        );
    }

    #[test]
    fn an_error_page_says_what_happened_without_http_jargon() {
        use poem::http::StatusCode as S;
        for status in [S::NOT_FOUND, S::METHOD_NOT_ALLOWED, S::BAD_REQUEST] {
            let en = page_title(Lang::En, status).to_lowercase();
            assert!(
                !en.contains("not found") && !en.contains("bad request") && !en.contains("method")
            );
            assert_ne!(page_title(Lang::Zh, status), error_title(Lang::Zh, status));
        }
        // The API keeps HTTP's titles, which its clients expect.
        assert_eq!(error_title(Lang::En, S::NOT_FOUND), "Not found");
        assert_eq!(
            page_title(Lang::En, S::CONFLICT),
            error_title(Lang::En, S::CONFLICT)
        );
    }

    #[test]
    fn every_rule_has_a_sentence_that_differs_by_language() {
        let errors = [
            invalid(Username::parse("ab").unwrap_err()),
            invalid(Password::parse("short").unwrap_err()),
            invalid(RoomName::parse("").unwrap_err()),
            invalid(RoomName::parse("..").unwrap_err()),
            invalid(MessageText::parse("  ").unwrap_err()),
            invalid(MessageText::parse(&"x".repeat(4001)).unwrap_err()),
            invalid(MessageText::parse("nul\0").unwrap_err()),
            invalid(Username::parse("\u{430}dmin").unwrap_err()),
            invalid(Password::choose("password1").unwrap_err()),
            AppError::TooManySockets,
            AppError::TooLarge,
            AppError::Unauthorized,
            AppError::BadCredentials,
            AppError::NotFound(Code::NoSuchRoom),
            AppError::internal(anyhow::anyhow!("disk on fire")),
        ];
        for err in errors {
            let (en, zh) = (error_text(Lang::En, &err), error_text(Lang::Zh, &err));
            assert!(!en.is_empty() && !zh.is_empty());
            assert_ne!(en, zh, "{err:?} is translated");
            assert!(!en.contains("disk"), "internal causes are never shown");
        }
    }
}
