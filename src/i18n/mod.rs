//! Hearth in English and Simplified Chinese. Each language is one catalogue
//! ([`en::TEXT`], [`zh::TEXT`]) of every string a page shows; templates read it as `t`.
//!
//! The language is the `hearth_lang` cookie if set (the switch on every page posts to
//! `/lang`), else the best of `Accept-Language`, else English. Live fragments (a new
//! message, "N online", an unread badge) are rendered once for every recipient, so
//! they carry no words at all: only numbers and what people typed. The words around
//! them are in the page, in the reader's language.

mod en;
mod errors;
mod zh;

use poem::{
    FromRequest, Request, RequestBody,
    http::{HeaderMap, header},
};

pub use errors::{code_text, error_text, error_title, page_title};

/// Declares the catalogue's keys once: the struct every language fills in (a
/// missing key does not compile) and a list of its entries for the tests.
macro_rules! catalogue {
    ($($key:ident),* $(,)?) => {
        /// Every string the pages show, in one language.
        pub struct Text {
            $(pub $key: &'static str,)*
        }

        impl Text {
            /// `(key, text)` for every key, in declaration order.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key)),*]
            }
        }
    };
}

catalogue! {
    // The language itself, and the switch to the other one.
    lang_tag, other_lang, other_lang_tag, other_lang_name, language,
    // Login and registration.
    log_in, register, username, password, username_hint, password_hint, new_here,
    have_account,
    // The shell: sidebar, dialogs, welcome.
    skip_to_conversation, rooms, show_rooms, join_a_room, create_a_room, no_rooms_hint,
    log_out, signed_in_as, welcome, welcome_hint, unread, you, name, cancel, create, close,
    nothing_to_join, members_one, members_other, filter_rooms, no_matching_rooms,
    // A room.
    online, connection_lost, messages_in, empty_room, today, yesterday, message,
    message_placeholder, composer_hint, send, load_earlier,
    // A message's actions.
    message_actions, actions_for, react, react_with, other_reaction, emoji, emoji_hint, edit,
    delete, edit_message, save, edit_hint, edited, edited_at, delete_title, delete_body,
    back_to_room, copy_link, link_copied, message_link,
    // Finding things: search, permalinks, what is new.
    search, search_messages, search_placeholder, search_hint, no_results, more_results,
    any_room, room_filter, from_filter, after_filter, before_filter, filters, search_filters,
    results, load_later,
    jump_latest, new_divider, new_messages_one, new_messages_other,
    // Error pages, and a room one is not in.
    back_to_rooms, not_a_member_yet, join,
    // Being signed out, and messages that could not be sent.
    signed_out, signed_out_elsewhere, not_sent, retry, sending, discard, refused, unread_rooms_one,
    unread_rooms_other,
    // People: direct messages, mentions, typing, notification levels, leaving, settings.
    direct_messages, new_message, new_message_hint, send_to,
    start_conversation, people_found, mention_list, mentioning_you, typing_one, typing_two,
    typing_many, notifications, notify_all, notify_mentions, notify_none, room_options,
    leave_room, leave_title, leave_body, leave, settings, share_typing, settings_saved,
    // Files and avatars.
    attach, attach_chosen, upload_progress, avatar, avatar_current, avatar_choose, avatar_hint, avatar_upload,
    avatar_remove, avatar_saved,
    // Web Push.
    push_title, push_hint, push_turn_on, push_turn_off, push_enabled, push_disabled, push_denied,
    push_unsupported, push_failed, push_needs_js,
    // Administration.
    admin, admin_hint, shown_once, registration, registration_who, registration_open, registration_invite, registration_closed, invitations, invite_hours, invite_uses, make_invite, invite_link, no_invites, invite_made_by, invite_expires, invite_used, invite_number, revoke, people, role, status, role_admin, role_member, role_bot, active, deactivated, make_admin, make_member, deactivate, reactivate, make_reset_link, reset_link_for, bots, bots_hint, bot_name, make_bot, token_for, bot_has_token, bot_no_token, last_delivery, no_delivery, new_token, revoke_token, webhook_url, webhook_hint, save_webhook, webhook_secret_for, new_room_name, rename, member_to_remove, remove_member, delete_room, delete_room_body, delete_room_confirm,
    // Accounts: resetting a password, the account page.
    reset_title, reset_for, new_password, reset_hint, reset_save, account, account_hint, back_to_settings, password_changed, session_ended, change_password, current_password, change_password_hint, sessions, sessions_hint, session_device, session_last_seen, actions, unknown_device, this_session, end_session, delete_account, delete_account_body,
}

impl Text {
    /// "{n} member(s)". (Borrow: templates pass their fields by reference.)
    pub fn members(&self, n: impl std::borrow::Borrow<i64>) -> String {
        let n = *n.borrow();
        let template = if n == 1 {
            self.members_one
        } else {
            self.members_other
        };
        fill(template, n)
    }
}

impl Text {
    /// "{n} new message(s)".
    pub fn new_messages(&self, n: impl std::borrow::Borrow<i64>) -> String {
        let n = *n.borrow();
        let template = if n == 1 {
            self.new_messages_one
        } else {
            self.new_messages_other
        };
        fill(template, n)
    }
}

/// Puts `value` where `template` has its one `{placeholder}`.
pub fn fill(template: &str, value: impl std::fmt::Display) -> String {
    match (template.find('{'), template.find('}')) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{value}{}", &template[..start], &template[end + 1..])
        }
        _ => template.to_owned(),
    }
}

/// A language the pages come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

pub const COOKIE: &str = "hearth_lang";

impl Lang {
    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &en::TEXT,
            Lang::Zh => &zh::TEXT,
        }
    }

    /// The code used in the cookie and the switch form: `en` or `zh`.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The reader's language: their saved choice, else what their browser asks for.
    pub fn of(headers: &HeaderMap) -> Self {
        cookie(headers, COOKIE)
            .and_then(Lang::parse)
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(from_accept_language)
            })
            .unwrap_or(Lang::En)
    }
}

impl<'a> FromRequest<'a> for Lang {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Lang::of(req.headers()))
    }
}

/// The first value of cookie `name`, read straight from the `Cookie` header.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The supported language the browser ranks highest (`zh-CN,zh;q=0.9,en;q=0.8` → Zh).
/// Every `zh` variant gets Simplified Chinese: the only Chinese there is.
fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else {
            continue;
        };
        // Ties go to the one listed first.
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{placeholder}` names in a string, in order.
    fn placeholders(text: &str) -> Vec<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_key_has_a_text_in_every_language_with_the_same_placeholders() {
        let english = en::TEXT.entries();
        for lang in [Lang::En, Lang::Zh] {
            let entries = lang.text().entries();
            assert_eq!(entries.len(), english.len(), "{lang:?}");
            for ((key, text), (en_key, en_text)) in entries.iter().zip(&english) {
                assert_eq!(key, en_key);
                assert!(!text.trim().is_empty(), "{lang:?} is missing {key:?}");
                assert_eq!(
                    placeholders(text),
                    placeholders(en_text),
                    "{lang:?} {key:?} keeps the placeholders"
                );
            }
        }
    }

    #[test]
    fn the_chinese_catalogue_is_translated() {
        let same: Vec<_> = zh::TEXT
            .entries()
            .into_iter()
            .zip(en::TEXT.entries())
            .filter(|((_, zh), (_, en))| zh == en)
            .map(|((key, _), _)| key)
            .collect();
        assert!(same.is_empty(), "untranslated: {same:?}");
    }

    #[test]
    fn fill_puts_the_value_in_place_of_the_placeholder() {
        assert_eq!(fill("Welcome, {name}", "ann"), "Welcome, ann");
        assert_eq!(fill("欢迎，{name}", "张伟"), "欢迎，张伟");
        assert_eq!(en::TEXT.members(1), "1 member");
        assert_eq!(en::TEXT.members(3), "3 members");
        assert_eq!(zh::TEXT.members(3), "3 位成员");
    }

    #[test]
    fn accept_language_picks_the_highest_ranked_supported_language() {
        let pick = from_accept_language;
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(pick("en-GB,en;q=0.9,zh;q=0.8"), Some(Lang::En));
        assert_eq!(pick("fr-FR,fr;q=0.9,zh-TW;q=0.5,en;q=0.3"), Some(Lang::Zh));
        assert_eq!(pick("de, en;q=0.1, ZH-Hans;q=0.7"), Some(Lang::Zh));
        assert_eq!(pick("zh;q=0, en;q=0.2"), Some(Lang::En));
        assert_eq!(pick("fr, de"), None);
        assert_eq!(pick(""), None);
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_saved_choice_beats_the_browser_and_english_is_the_default() {
        let zh_browser = (header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9");
        assert_eq!(
            Lang::of(&headers(std::slice::from_ref(&zh_browser))),
            Lang::Zh
        );
        let chose_english = (header::COOKIE, "session=abc; hearth_lang=en");
        assert_eq!(Lang::of(&headers(&[zh_browser, chose_english])), Lang::En);
        assert_eq!(
            Lang::of(&headers(&[(header::COOKIE, "hearth_lang=zh")])),
            Lang::Zh
        );
        assert_eq!(
            Lang::of(&headers(&[(header::COOKIE, "hearth_lang=xx")])),
            Lang::En
        );
        assert_eq!(Lang::of(&HeaderMap::new()), Lang::En);
    }
}
