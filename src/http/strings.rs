//! Every sentence a consumer reads on scanloop's own pages, one table per language, so a
//! translation is checked in one place and no page forgets one.

use crate::domain::Language;

/// What a failure page says: what happened, and what to do about it.
pub struct Failure {
    pub heading: &'static str,
    pub advice: &'static str,
}

pub struct Strings {
    /// The buy-online button when the campaign gives it no label.
    pub buy_online: &'static str,
    pub find_store: &'static str,
    pub join: &'static str,
    pub share_photo: &'static str,
    /// The photo page.
    pub photos: PhotoStrings,
    /// A campaign the brand switched off.
    pub not_running: &'static str,
    /// `{date}` is replaced by the start date, written with `date_format`.
    pub not_started: &'static str,
    pub ended: &'static str,
    /// The link to the fallback page of a campaign that is not running.
    pub continue_to_brand: &'static str,
    /// A chrono format for dates in sentences.
    pub date_format: &'static str,
    /// The link to the page in the other language, written in that language.
    pub other_language: &'static str,
    /// A recall notice's page.
    pub notice: NoticeStrings,
    pub not_found: Failure,
    pub busy: Failure,
    pub broken: Failure,
    pub bad_link: Failure,
}

/// What a recall notice's page says around the brand's words.
pub struct NoticeStrings {
    /// Above the heading.
    pub label: &'static str,
    /// The notice's link.
    pub more: &'static str,
    /// `{date}` is replaced by the day it was lifted, written with `date_format`.
    pub lifted: &'static str,
}

/// Everything the photo page says.
pub struct PhotoStrings {
    pub heading: &'static str,
    pub back: &'static str,
    pub photo_field: &'static str,
    pub caption_field: &'static str,
    pub send: &'static str,
    pub sent_pending: &'static str,
    pub sent_live: &'static str,
    pub deleted: &'static str,
    pub waiting: &'static str,
    pub delete: &'static str,
    pub nearest_first: &'static str,
    /// `{n}` people (5 or more) scanned in `{city}` in the last seven days.
    pub people_here: &'static str,
    /// Fewer than 5: never a number that could point at someone.
    pub few_here: &'static str,
    /// `{cities}`: the nearest other cities with photos.
    pub photos_from: &'static str,
    pub empty: &'static str,
    pub use_my_location: &'static str,
    pub location_note: &'static str,
    /// Alt text of someone's photo without a caption; `{city}` where it was shared.
    pub shared_in: &'static str,
    pub shared: &'static str,
    pub choose_photo: &'static str,
    pub not_a_photo: &'static str,
    pub too_large: &'static str,
    pub unreadable: &'static str,
    pub caption_too_long: &'static str,
    pub slow_down: &'static str,
}

pub fn strings(language: Language) -> &'static Strings {
    match language {
        Language::English => &ENGLISH,
        Language::Chinese => &CHINESE,
    }
}

const ENGLISH: Strings = Strings {
    buy_online: "Buy online",
    find_store: "Find a store",
    join: "Join",
    share_photo: "Share a photo",
    photos: PhotoStrings {
        heading: "Share a photo",
        back: "Back",
        photo_field: "Your photo",
        caption_field: "Caption (optional, up to 140 characters)",
        send: "Share",
        sent_pending: "Thank you! Your photo will appear here once it has been checked.",
        sent_live: "Thank you! Your photo is up.",
        deleted: "Your photo was deleted.",
        waiting: "Waiting to be checked",
        delete: "Delete",
        nearest_first: "Photos people shared, nearest first",
        people_here: "{n} people scanned this in {city} this week.",
        few_here: "A few people scanned this in {city} this week.",
        photos_from: "Photos nearby from {cities}.",
        empty: "No photos yet. Be the first to share one!",
        use_my_location: "Use my location",
        location_note: "We show photos from near your city first, guessing the city from your \
            network. \"Use my location\" asks your browser for a closer position, rounded to about \
            a kilometre, used for this page only and never stored. Others see only the city a \
            photo was shared from, never where anyone was.",
        shared_in: "A photo shared in {city}",
        shared: "A shared photo",
        choose_photo: "Choose a photo to share first.",
        not_a_photo: "This file is not a photo. Choose a JPEG, PNG or WebP picture, such as one \
            taken with your phone's camera.",
        too_large: "This photo is too large. Choose one under 15 MB.",
        unreadable: "We could not read this photo; it may be damaged. Try another one.",
        caption_too_long: "The caption is too long: 140 characters at most.",
        slow_down: "You have shared several photos just now. Please try again in a few minutes.",
    },
    not_running: "This campaign is not running right now. Thank you for scanning.",
    not_started: "This campaign starts on {date}. Thank you for scanning: come back then.",
    ended: "This campaign has ended. Thank you for scanning.",
    continue_to_brand: "Continue to the brand's site",
    date_format: "%-d %B %Y",
    other_language: "中文",
    notice: NoticeStrings {
        label: "Important notice about this product",
        more: "More information",
        lifted: "This notice was lifted on {date}.",
    },
    not_found: Failure {
        heading: "We could not find this code",
        advice: "The link may be mistyped, or the code was never issued. If you scanned a \
                 printed code, try scanning it again in good light.",
    },
    busy: Failure {
        heading: "Please try again in a moment",
        advice: "We are busy right now. Scanning the code again will work shortly.",
    },
    broken: Failure {
        heading: "Something went wrong",
        advice: "The problem is on our side, not yours. Please try again in a moment.",
    },
    bad_link: Failure {
        heading: "This link does not work",
        advice: "Check that the address is complete, or scan the printed code again.",
    },
};

const CHINESE: Strings = Strings {
    buy_online: "在线购买",
    find_store: "查找门店",
    join: "加入会员",
    share_photo: "分享照片",
    photos: PhotoStrings {
        heading: "分享照片",
        back: "返回",
        photo_field: "你的照片",
        caption_field: "说明（可选，最多140字）",
        send: "分享",
        sent_pending: "谢谢！你的照片审核通过后会显示在这里。",
        sent_live: "谢谢！你的照片已发布。",
        deleted: "你的照片已删除。",
        waiting: "等待审核",
        delete: "删除",
        nearest_first: "大家分享的照片，离你最近的在前",
        people_here: "本周{city}有{n}人扫了这个码。",
        few_here: "本周{city}有几位朋友扫了这个码。",
        photos_from: "附近有照片的城市：{cities}。",
        empty: "还没有照片，快来分享第一张吧！",
        use_my_location: "使用我的位置",
        location_note: "我们根据你的网络推测所在城市，优先显示附近的照片。点击“使用我的位置”会向浏览器请求更精确的位置，\
            精确到约一公里，仅用于本页面，不会保存。其他人只能看到照片分享自哪个城市，看不到任何人的具体位置。",
        shared_in: "在{city}分享的照片",
        shared: "分享的照片",
        choose_photo: "请先选择要分享的照片。",
        not_a_photo: "这个文件不是照片。请选择 JPEG、PNG 或 WebP 格式的图片，例如用手机拍的照片。",
        too_large: "照片太大了，请选择小于15 MB的照片。",
        unreadable: "无法读取这张照片，它可能已损坏。请换一张试试。",
        caption_too_long: "说明太长了，最多140字。",
        slow_down: "你刚刚分享了好几张照片，请过几分钟再试。",
    },
    not_running: "此活动目前未在进行中。感谢您的扫描。",
    not_started: "此活动将于{date}开始。感谢您的扫描，届时欢迎再来。",
    ended: "此活动已结束。感谢您的扫描。",
    continue_to_brand: "前往品牌网站",
    date_format: "%Y年%-m月%-d日",
    other_language: "English",
    notice: NoticeStrings {
        label: "关于本产品的重要通知",
        more: "了解详情",
        lifted: "此通知已于{date}解除。",
    },
    not_found: Failure {
        heading: "找不到这个二维码",
        advice: "链接可能有误，或这个二维码从未发放。如果您扫描的是印刷的二维码，请在光线充足处再扫一次。",
    },
    busy: Failure {
        heading: "请稍后再试",
        advice: "我们现在有点忙。稍等片刻再扫一次就可以了。",
    },
    broken: Failure {
        heading: "出错了",
        advice: "问题出在我们这边，与您无关。请稍后再试。",
    },
    bad_link: Failure {
        heading: "此链接无法打开",
        advice: "请检查地址是否完整，或重新扫描印刷的二维码。",
    },
};
