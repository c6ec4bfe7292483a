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
    pub not_found: Failure,
    pub busy: Failure,
    pub broken: Failure,
    pub bad_link: Failure,
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
    not_running: "This campaign is not running right now. Thank you for scanning.",
    not_started: "This campaign starts on {date}. Thank you for scanning: come back then.",
    ended: "This campaign has ended. Thank you for scanning.",
    continue_to_brand: "Continue to the brand's site",
    date_format: "%-d %B %Y",
    other_language: "中文",
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
    not_running: "此活动目前未在进行中。感谢您的扫描。",
    not_started: "此活动将于{date}开始。感谢您的扫描，届时欢迎再来。",
    ended: "此活动已结束。感谢您的扫描。",
    continue_to_brand: "前往品牌网站",
    date_format: "%Y年%-m月%-d日",
    other_language: "English",
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
