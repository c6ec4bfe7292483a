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
    /// The join button for a phone signed in as a member: their member page.
    pub my_points: &'static str,
    pub share_photo: &'static str,
    /// The photo page.
    pub photos: PhotoStrings,
    /// The join page.
    pub join_page: JoinStrings,
    /// The member page.
    pub member: MemberStrings,
    /// A unique code's points, on the campaign's page.
    pub claim: ClaimStrings,
    /// The feedback page, and its link on the campaign's page.
    pub feedback: FeedbackStrings,
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

/// Everything the join page says.
pub struct JoinStrings {
    pub heading: &'static str,
    pub intro: &'static str,
    pub contact_field: &'static str,
    /// What a member agrees to; its version is `members::CONSENT_VERSION`.
    pub consent: &'static str,
    pub send_code: &'static str,
    /// `{contact}`: where it went, partly hidden.
    pub code_sent: &'static str,
    /// `{code}`: shown only with `SCANLOOP_SHOW_ONE_TIME_CODES`.
    pub shown_code: &'static str,
    pub code_field: &'static str,
    pub join: &'static str,
    pub new_code: &'static str,
    pub back: &'static str,
    pub empty_contact: &'static str,
    pub bad_contact: &'static str,
    pub need_consent: &'static str,
    pub need_cookie: &'static str,
    /// `{n}` seconds.
    pub too_soon: &'static str,
    /// `{n}` minutes.
    pub locked: &'static str,
    pub no_code: &'static str,
    pub expired: &'static str,
    /// `{n}` tries left.
    pub wrong: &'static str,
    pub slow_down: &'static str,
}

/// What the campaign's page says about a unique code's points; `{n}` is the points.
pub struct ClaimStrings {
    pub offer: &'static str,
    pub button: &'static str,
    pub join_to_claim: &'static str,
    pub yours: &'static str,
    /// `{date}`: when it was claimed, written with `date_format`.
    pub taken: &'static str,
    pub capped: &'static str,
    pub network_capped: &'static str,
}

/// Everything the feedback page says.
pub struct FeedbackStrings {
    /// On the campaign's page, to a buyer who may rate their purchase.
    pub link: &'static str,
    pub heading: &'static str,
    /// `{date}` of the purchase, written with `date_format`, and its `{amount}`.
    pub purchase: &'static str,
    pub rating_field: &'static str,
    pub comment_field: &'static str,
    pub photo_field: &'static str,
    pub send: &'static str,
    pub thanks: &'static str,
    pub sorry: &'static str,
    pub nothing: &'static str,
    pub choose_rating: &'static str,
    pub comment_too_long: &'static str,
    pub back: &'static str,
}

/// Everything the member page says.
pub struct MemberStrings {
    pub heading: &'static str,
    /// `{contact}`, partly hidden.
    pub signed_in_as: &'static str,
    /// `{date}`, written with `date_format`.
    pub member_since: &'static str,
    pub welcome: &'static str,
    pub welcome_back: &'static str,
    pub points: &'static str,
    pub history: &'static str,
    pub no_points: &'static str,
    pub your_data: &'static str,
    pub data_note: &'static str,
    pub download: &'static str,
    pub delete: &'static str,
    pub delete_confirm: &'static str,
    pub must_confirm: &'static str,
    pub deleted: &'static str,
    pub sign_out: &'static str,
    pub signed_out: &'static str,
    pub not_member: &'static str,
    /// `{n}` points earned just now.
    pub claimed: &'static str,
    /// `{tier}`.
    pub tier: &'static str,
    /// `{n}` points to `{tier}`.
    pub next_tier: &'static str,
    pub share_heading: &'static str,
    pub share_note: &'static str,
    /// What each kind of ledger entry is called.
    pub first_scan: &'static str,
    pub purchase: &'static str,
    pub photo: &'static str,
    pub referral_join: &'static str,
    pub referral_purchase: &'static str,
    pub spend: &'static str,
    pub adjust: &'static str,
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
    my_points: "My points",
    share_photo: "Share a photo",
    join_page: JoinStrings {
        heading: "Join",
        intro: "Become a member to collect points for the codes you scan and the things you buy.",
        contact_field: "Mobile number or email",
        consent: "I agree that the brand keeps my mobile number or email to run my membership: \
            my points, rewards and messages about them. I can see, download or delete this data \
            on my member page at any time.",
        send_code: "Send me a code",
        code_sent: "We sent a 6-digit code to {contact}. It works for 10 minutes.",
        shown_code: "Development mode: your code is {code}.",
        code_field: "Code",
        join: "Join",
        new_code: "Send a new code",
        back: "Back",
        empty_contact: "Enter your mobile number or email.",
        bad_contact: "Enter a mainland mobile number (11 digits), a number with its country code \
            such as +44 7700 900123, or an email address.",
        need_consent: "Tick the box to agree before we send you a code.",
        need_cookie: "Your browser did not keep our cookie. Allow cookies for this site, open \
            the page again and try once more.",
        too_soon: "A code was sent less than a minute ago. Wait {n} seconds before asking for \
            another.",
        locked: "Too many wrong codes. Try again in {n} minutes.",
        no_code: "Ask for a code first.",
        expired: "This code has expired. Ask for a new one.",
        wrong: "That code is not right. {n} tries left.",
        slow_down: "Many codes were asked for from your network just now. Please try again in a \
            few minutes.",
    },
    member: MemberStrings {
        heading: "Your membership",
        signed_in_as: "Signed in as {contact}",
        member_since: "Member since {date}",
        welcome: "Welcome! You are now a member.",
        welcome_back: "Welcome back.",
        points: "points",
        history: "Points history",
        no_points: "No points yet. Scan the code on a product to earn some.",
        your_data: "Your data",
        data_note: "We keep your mobile number or email, when you joined, the consent you gave, \
            the browsers you signed in from and your points. You can download all of it, or \
            delete your membership: your points go, and we keep no way to reach you.",
        download: "Download my data",
        delete: "Delete my membership",
        delete_confirm: "Yes, delete my membership and my points",
        must_confirm: "Tick the box to confirm that you want to delete your membership.",
        deleted: "Your membership was deleted. We no longer keep your mobile number or email.",
        sign_out: "Sign out",
        signed_out: "You are signed out.",
        not_member: "You are not signed in. To join or sign in, scan the code on a product and \
            choose Join.",
        claimed: "You earned {n} points for this code.",
        tier: "Tier: {tier}",
        next_tier: "{n} more points to {tier}",
        share_heading: "Bring your friends",
        share_note: "Share your link or let a friend scan your code. When they join, and when \
            they first buy, you earn points.",
        first_scan: "First scan of a code",
        purchase: "Purchase",
        photo: "Photo shared",
        referral_join: "A friend joined",
        referral_purchase: "A friend's first purchase",
        spend: "Spent",
        adjust: "From the brand",
    },
    feedback: FeedbackStrings {
        link: "How was your purchase? Tell us",
        heading: "How was your purchase?",
        purchase: "Your purchase of {amount} on {date}",
        rating_field: "Your rating, 1 (poor) to 5 (excellent)",
        comment_field: "Anything you would like to tell us? (optional)",
        photo_field: "A photo, if something is wrong with it (optional)",
        send: "Send",
        thanks: "Thank you for telling us.",
        sorry: "We are sorry it did not go well. Someone from the brand will look into it.",
        nothing: "We could not find a recent purchase of yours to rate. You can rate a purchase \
            made after scanning this product, for 30 days.",
        choose_rating: "Choose a rating from 1 to 5.",
        comment_too_long: "Your comment is too long: 1,000 characters at most.",
        back: "Back",
    },
    claim: ClaimStrings {
        offer: "This code is worth {n} points to the first member who claims it.",
        button: "Claim {n} points",
        join_to_claim: "Join to claim them",
        yours: "This code's points are yours.",
        taken: "This code's points were claimed on {date}. Each code's points go to the first \
            member who claims them.",
        capped: "You have reached today's points limit for this campaign. Come back tomorrow: \
            this code's points can wait for you.",
        network_capped: "Many codes were claimed from your network today. Please try again \
            tomorrow.",
    },
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
    my_points: "我的积分",
    share_photo: "分享照片",
    join_page: JoinStrings {
        heading: "加入会员",
        intro: "成为会员，扫码和购物都能积分。",
        contact_field: "手机号或邮箱",
        consent: "我同意品牌保存我的手机号或邮箱，用于管理我的会员资格：积分、奖励及相关通知。\
            我可以随时在会员页面查看、下载或删除这些数据。",
        send_code: "发送验证码",
        code_sent: "6位验证码已发送至{contact}，10分钟内有效。",
        shown_code: "开发模式：你的验证码是 {code}。",
        code_field: "验证码",
        join: "加入",
        new_code: "重新发送验证码",
        back: "返回",
        empty_contact: "请输入手机号或邮箱。",
        bad_contact: "请输入11位大陆手机号、带国家代码的号码（例如 +44 7700 900123）或邮箱地址。",
        need_consent: "请先勾选同意，我们再发送验证码。",
        need_cookie: "你的浏览器没有保存我们的 Cookie。请允许本网站使用 Cookie，重新打开页面后再试一次。",
        too_soon: "验证码刚刚发送过，请等待{n}秒后再获取。",
        locked: "验证码错误次数过多，请{n}分钟后再试。",
        no_code: "请先获取验证码。",
        expired: "验证码已过期，请重新获取。",
        wrong: "验证码不正确，还可以尝试{n}次。",
        slow_down: "你所在的网络刚刚获取了很多验证码，请过几分钟再试。",
    },
    member: MemberStrings {
        heading: "我的会员",
        signed_in_as: "当前账号：{contact}",
        member_since: "{date}加入",
        welcome: "欢迎加入！你已成为会员。",
        welcome_back: "欢迎回来。",
        points: "积分",
        history: "积分记录",
        no_points: "还没有积分。扫描产品上的二维码即可获得积分。",
        your_data: "我的数据",
        data_note: "我们保存你的手机号或邮箱、加入时间、你同意的条款、你登录过的浏览器以及你的积分。\
            你可以下载全部数据，也可以删除会员资格：积分将被清除，我们也不再保留任何联系你的方式。",
        download: "下载我的数据",
        delete: "删除会员资格",
        delete_confirm: "确认删除我的会员资格和积分",
        must_confirm: "请勾选确认你要删除会员资格。",
        deleted: "你的会员资格已删除，我们不再保存你的手机号或邮箱。",
        sign_out: "退出登录",
        signed_out: "你已退出登录。",
        not_member: "你还没有登录。如需加入或登录，请扫描产品上的二维码并选择“加入会员”。",
        claimed: "你通过此码获得了{n}积分。",
        tier: "等级：{tier}",
        next_tier: "再获得{n}积分即可升级为{tier}",
        share_heading: "邀请好友",
        share_note: "分享你的链接，或让好友扫描你的二维码。好友加入以及首次购买时，你都能获得积分。",
        first_scan: "首次扫码",
        purchase: "购物",
        photo: "分享照片",
        referral_join: "好友加入",
        referral_purchase: "好友首次购买",
        spend: "兑换",
        adjust: "品牌赠送",
    },
    feedback: FeedbackStrings {
        link: "购买体验如何？告诉我们",
        heading: "购买体验如何？",
        purchase: "你于{date}的购买：{amount}",
        rating_field: "你的评分：1（很差）到5（很好）",
        comment_field: "还有什么想告诉我们的吗？（可选）",
        photo_field: "如果商品有问题，可以附上一张照片（可选）",
        send: "提交",
        thanks: "感谢你的反馈。",
        sorry: "很抱歉这次体验不好，品牌方会尽快跟进处理。",
        nothing: "没有找到你最近可以评价的购买。扫描本产品后的购买，可在30天内评价。",
        choose_rating: "请选择1到5的评分。",
        comment_too_long: "内容太长了，最多1000字。",
        back: "返回",
    },
    claim: ClaimStrings {
        offer: "第一位领取的会员可获得此码的{n}积分。",
        button: "领取{n}积分",
        join_to_claim: "加入会员即可领取",
        yours: "此码的积分已归你所有。",
        taken: "此码的积分已于{date}被领取。每个码的积分只归第一位领取的会员。",
        capped: "你今天在本活动的积分已达上限。明天再来吧，此码的积分会为你保留。",
        network_capped: "你所在的网络今天领取了很多码的积分，请明天再试。",
    },
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
