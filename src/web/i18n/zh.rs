//! 简体中文.

use super::Text;

pub const TEXT: Text = Text {
    lang_tag: "zh-CN",
    other_lang: "en",
    other_lang_tag: "en",
    other_lang_name: "English",
    language: "语言",

    log_in: "登录",
    register: "注册",
    username: "用户名",
    password: "密码",
    username_hint: "3–32 个字符：字母、数字、_ . 或 -",
    password_hint: "至少 8 个字符。",
    new_here: "第一次来？",
    have_account: "已有账号？",

    skip_to_conversation: "跳到对话",
    rooms: "聊天室",
    show_rooms: "显示聊天室列表",
    join_a_room: "加入聊天室",
    create_a_room: "创建聊天室",
    no_rooms_hint: "你还没有加入任何聊天室。创建一个，或加入别人创建的聊天室。",
    log_out: "退出登录",
    signed_in_as: "当前用户",
    welcome: "欢迎，{name}",
    welcome_hint: "从列表中选择一个聊天室，或点击“创建聊天室”开一个新的。",
    unread: "条未读",
    you: "（你）",
    name: "名称",
    cancel: "取消",
    create: "创建",
    close: "关闭",
    nothing_to_join: "还没有可加入的聊天室。不如自己创建一个！",
    members_one: "{n} 位成员",
    members_other: "{n} 位成员",

    online: "人在线",
    connection_lost: "连接已断开，正在重新连接…",
    messages_in: "{room} 中的消息",
    empty_room: "还没有消息。来打个招呼吧！",
    today: "今天",
    yesterday: "昨天",
    message: "消息",
    message_placeholder: "发消息到 {room}",
    composer_hint: "按 Enter 发送 · Shift+Enter 换行",
    send: "发送",
    load_earlier: "加载更早的消息",

    back_to_rooms: "返回你的聊天室",
};
