//! The console's, the report pages' and the store dashboard's sentences in Chinese, looked
//! up by their English. English pages use the
//! English as written; a sentence with no Chinese yet shows in English (a test keeps every
//! sentence the console's templates and code ask for in the table).

use crate::domain::Language;

/// A page's sentences in its language, for templates: `{{ t.tr("...") }}`.
pub struct Words {
    pub language: Language,
}

impl Words {
    pub fn tr(&self, english: &'static str) -> &'static str {
        tr(self.language, english)
    }

    /// A value from data (a device class, a kind) in the page's language when the table
    /// knows it, else as it is.
    pub fn tr_value(&self, value: &str) -> String {
        match self.language {
            Language::Chinese => chinese(value).unwrap_or(value).to_owned(),
            Language::English => value.to_owned(),
        }
    }

    /// The language switch's label, in the other language.
    pub fn other_language(&self) -> &'static str {
        match self.language {
            Language::English => "中文",
            Language::Chinese => "English",
        }
    }
}

/// `english` in `language`.
pub fn tr(language: Language, english: &'static str) -> &'static str {
    match language {
        Language::English => english,
        Language::Chinese => chinese(english).unwrap_or(english),
    }
}

fn chinese(english: &str) -> Option<&'static str> {
    Some(match english {
        "#{rank} of {stores}" => "第 {rank} / {stores}",
        ", or run scanloop demo to see a month of sample data." => {
            "，或运行 scanloop demo 查看一个月的示例数据。"
        }
        ": every scan as it happens." => "：每一次扫码，实时呈现。",
        ": where scans go and when." => "：扫码去往哪里、何时生效。",
        "A batch is one print run. Its codes can be downloaded as a CSV, images or label sheets once made." => {
            "一个批次就是一次印刷。码生成后，可下载为 CSV、图片或标签页。"
        }
        "A campaign is what your codes promote: where scans go and when. Add its landing page and batches of codes next." => {
            "活动是码所推广的内容：扫码去往哪里、何时生效。接下来添加落地页和码批次。"
        }
        "A date (UTC), or a time such as 2026-05-01T08:00:00+08:00; empty: now." => {
            "日期（UTC），或如 2026-05-01T08:00:00+08:00 的时间；留空即现在开始。"
        }
        "A disabled channel is not offered for new batches. Codes already printed for it keep working: disable their batches to send them to the fallback." => {
            "停用的渠道不会出现在新批次的选项中。已印出的码照常可用：如需把它们转到备用地址，请停用相应批次。"
        }
        "A disabled store is not offered for new batches. Its codes keep working and its till purchases are still taken." => {
            "停用的门店不会出现在新批次的选项中。它的码照常可用，收银台的购买仍会被记录。"
        }
        "The campaign's flow from channels to repeat purchases" => "活动全流程：从渠道到复购",
        "target {n}" => "目标 {n}",
        "(target {n})" => "（目标 {n}）",
        "Scans and conversions over time" => "扫码与转化随时间的变化",
        "{label}: scans {scans}, conversions {conversions}" => {
            "{label}：扫码 {scans}，转化 {conversions}"
        }
        "Not changed" => "未更改",
        "Too large" => "内容过大",
        "Not ready" => "尚未就绪",
        "Not found" => "未找到",
        "Busy" => "繁忙",
        "Not understood" => "无法理解",
        "Go back" => "返回",
        "Console home" => "控制台首页",
        "the form is larger than 256 KiB: shorten its texts" => {
            "表单超过 256 KiB：请缩短其中的文字"
        }
        "only admins change campaigns, batches, channels, stores, photos and accounts; nothing was changed" => {
            "只有管理员可以更改活动、批次、渠道、门店、照片和账户；未做任何更改"
        }
        "only admins change campaigns; nothing was changed" => {
            "只有管理员可以更改活动；未做任何更改"
        }
        "only admins manage people; your own API keys are at /console/keys" => {
            "只有管理员可以管理人员；你自己的 API 密钥在 /console/keys"
        }
        "this form had expired or came from another page; nothing was changed. Open the page again and send the form from there." => {
            "此表单已过期或来自其他页面；未做任何更改。请重新打开页面后再提交。"
        }
        "From serial" => "起始序号",
        "Leave both serials empty for the whole batch." => "两个序号都留空即为整个批次。",
        "To serial" => "结束序号",
        "Title in English" => "英文标题",
        "Such as “Recall: lot 7”. Give English, Chinese or both." => {
            "例如“召回：批号 7”。可填英文、中文或两者。"
        }
        "Text in English" => "英文正文",
        "Title in Chinese" => "中文标题",
        "Text in Chinese" => "中文正文",
        "Link for more" => "详情链接",
        "The recall page, a form or a hotline page (optional)." => {
            "召回页面、表单或热线页面（可选）。"
        }
        "Recall notice for {}" => "{} 的召回通知",
        "Every scan of the codes it covers goes to the notice's page, on every instance within seconds, until you lift it. The scans are still counted." => {
            "在解除之前，所覆盖的码的每次扫码都会在几秒内于所有实例上转到通知页面。扫码仍会被计数。"
        }
        "Put up the notice" => "发布通知",
        "Recall notices" => "召回通知",
        "None standing: scans go where the campaign sends them." => {
            "当前没有生效的通知：扫码按活动设置跳转。"
        }
        "serials" => "序号",
        "Its page" => "通知页面",
        "Lift" => "解除",
        "Put up a recall notice" => "发布召回通知",
        "Notice put up: scans of its codes go to it within seconds." => {
            "通知已发布：几秒内其覆盖的码的扫码将转到通知页面。"
        }
        "Notice lifted: its codes go to the campaign again." => {
            "通知已解除：这些码重新按活动设置跳转。"
        }
        "A key lets a program (a shop's integration, a till, a spreadsheet) call the API as you: it may do what you may do, and stops when you are disabled." => {
            "密钥让程序（商城对接、收银机、表格）以你的身份调用 API：权限与你相同，你被停用时它也随即失效。"
        }
        "A photo of the product: JPEG, PNG or WebP, up to 15 MiB" => {
            "产品照片：JPEG、PNG 或 WebP，最大 15 MiB"
        }
        "A retailer's stores, separated by commas, such as SH-001, SH-002." => {
            "零售商的门店编号，用逗号分隔，如 SH-001, SH-002。"
        }
        "A shop or product page (http or https). Leave empty to send people to the campaign's own landing page." => {
            "商城或产品页面（http 或 https）。留空则跳转到活动自己的落地页。"
        }
        "API key “{}”" => "API 密钥“{}”",
        "API keys" => "API 密钥",
        "Add a channel" => "添加渠道",
        "Add a person" => "添加成员",
        "Add a store" => "添加门店",
        "Add channel" => "添加渠道",
        "Add person" => "添加成员",
        "Add store" => "添加门店",
        "Add the channels" => "添加渠道",
        "Admin: changes everything" => "管理员：可修改一切",
        "All campaigns" => "全部活动",
        "All channels" => "全部渠道",
        "Amount" => "金额",
        "Analyst: reads everything, changes nothing" => "分析师：可查看一切，不能修改",
        "Approve" => "通过",
        "Approved" => "已通过",
        "Approved: it shows in the campaign's gallery." => "已通过：照片会显示在活动的照片墙中。",
        "As an admin you see everyone's keys." => "作为管理员，你可以看到所有人的密钥。",
        "Back" => "返回",
        "Background colour" => "背景颜色",
        "Batch" => "批次",
        "Batch created." => "批次已创建。",
        "Batches" => "批次",
        "Batches being made" => "正在生成的批次",
        "Behind plan" => "落后于计划",
        "Blank lines start paragraphs; **bold**, *italic* and [label](https://...) links work." => {
            "空行分段；支持 **粗体**、*斜体* 和 [文字](https://...) 链接。"
        }
        "Buckets" => "粒度",
        "Button colour" => "按钮颜色",
        "Buy button label" => "购买按钮文字",
        "Buy button link" => "购买按钮链接",
        "CTA clicks" => "按钮点击",
        "Campaign" => "活动",
        "Campaign created. Next: its landing page and a batch of codes." => {
            "活动已创建。下一步：落地页和一个码批次。"
        }
        "Campaign disabled: its codes go to its fallback." => "活动已停用：其码将跳转到备用地址。",
        "Campaign enabled: its codes go to its destination again." => {
            "活动已启用：其码重新跳转到目标地址。"
        }
        "Campaigns" => "活动",
        "Campaigns in your stores" => "你的门店中的活动",
        "Campaigns running" => "进行中的活动",
        "Channel" => "渠道",
        "Channel added." => "渠道已添加。",
        "Channels" => "渠道",
        "Cities" => "城市数",
        "City" => "城市",
        "Code" => "码",
        "Codes" => "码",
        "Codes disabled: they go to the campaign's fallback." => {
            "码已停用：将跳转到活动的备用地址。"
        }
        "Codes enabled: they go to the campaign again." => "码已启用：重新跳转到活动。",
        "Codes that look copied" => "疑似被复制的码",
        "Connecting…" => "正在连接…",
        "Connection lost: reconnecting (reload the page if you were signed out)…" => {
            "连接中断：正在重连（如已退出登录，请刷新页面）…"
        }
        "Console" => "控制台",
        "Conv." => "转化",
        "Conversions" => "转化",
        "Conversions are the purchases credited to scans in your stores; scans in your city count every code of the campaign scanned there." => {
            "转化是归因于你门店扫码的购买；同城扫码统计该活动所有码在你所在城市的扫码。"
        }
        "Cost per conversion" => "单次转化成本",
        "Create a campaign" => "创建活动",
        "Create batch" => "创建批次",
        "Create campaign" => "创建活动",
        "Create the first one" => "创建第一个",
        "Currency" => "币种",
        "Delete" => "删除",
        "Deleted, with its files." => "已删除，文件一并删除。",
        "Details" => "详情",
        "Device" => "设备",
        "Devices" => "设备",
        "Disable" => "停用",
        "Disable campaign" => "停用活动",
        "Disable these codes" => "停用这些码",
        "Disabled: their sign-ins and API keys stopped at once." => {
            "已停用：其登录和 API 密钥立即失效。"
        }
        "Disabled: it is no longer offered for new batches." => "已停用：新批次中不再提供。",
        "Disabling someone stops their sign-ins and API keys at once. The last admin cannot be disabled." => {
            "停用某人会立即终止其登录和 API 密钥。最后一位管理员不能被停用。"
        }
        "Download CSV" => "下载 CSV",
        "Edit landing page" => "编辑落地页",
        "Edit settings" => "编辑设置",
        "Email" => "邮箱",
        "Enable" => "启用",
        "Enable campaign" => "启用活动",
        "Enable these codes" => "启用这些码",
        "Enabled again." => "已重新启用。",
        "Ends" => "结束",
        "Files" => "文件",
        "Files for the printer" => "印刷文件",
        "First scan" => "首次扫码",
        "Flow" => "流转",
        "For displays and shelf codes in one store: its manager sees their scans." => {
            "用于某一门店的陈列和货架码：店长可以看到这些扫码。"
        }
        "From" => "从",
        "Funnel" => "漏斗",
        "GTIN" => "GTIN",
        "Get started" => "开始使用",
        "Give it a landing page and a batch of codes, then download the files for the printer." => {
            "为它添加落地页和码批次，然后下载印刷文件。"
        }
        "Heading" => "标题",
        "Home" => "首页",
        "ISO 4217, such as CNY, USD or EUR; purchases and reports use it. It cannot change later." => {
            "ISO 4217 代码，如 CNY、USD 或 EUR；购买和报表使用该币种，之后不能更改。"
        }
        "In the campaign's currency, such as 1200.00; counted as spend in reports." => {
            "以活动币种计，如 1200.00；在报表中计为花费。"
        }
        "Items" => "件数",
        "Items printed" => "印刷数量",
        "Its codes go to the fallback until you enable it again." => {
            "在重新启用之前，其码将跳转到备用地址。"
        }
        "Its link name and currency stay as they are: they are printed and recorded." => {
            "链接名和币种保持不变：它们已被印刷和记录。"
        }
        "Its number stays as it is: tills send it with their purchases." => {
            "门店编号保持不变：收银机上报购买时会带上它。"
        }
        "Its short name (utm_source) stays as it is: shops have already seen it." => {
            "其短名（utm_source）保持不变：商城已经收到过它。"
        }
        "Key" => "密钥",
        "Key made." => "密钥已生成。",
        "Key revoked: requests with it are refused from now on." => {
            "密钥已吊销：此后使用它的请求将被拒绝。"
        }
        "Kind" => "类型",
        "Label sheets (PDF, A4)" => "标签页（PDF，A4）",
        "Landing page" => "落地页",
        "Landing page saved." => "落地页已保存。",
        "Landing views" => "落地页浏览",
        "Last 7 days:" => "最近 7 天：",
        "Last used" => "最近使用",
        "Latest" => "最新",
        "Latest campaigns" => "最新活动",
        "Latest purchases" => "最近的购买",
        "Latitude" => "纬度",
        "Leave empty to get a one-time link they use to choose their own." => {
            "留空则生成一次性链接，由对方自行设置密码。"
        }
        "Letter, crop marks" => "Letter 纸，带裁切线",
        "Live" => "实时",
        "Live scans" => "实时扫码",
        "Live: new scans appear here as they are made." => "实时：新的扫码会即时出现在这里。",
        "Longitude" => "经度",
        "Lot" => "批号",
        "Made" => "创建时间",
        "Make a key" => "生成密钥",
        "Making codes:" => "正在生成码：",
        "Making this batch's codes failed and they were removed: create the batch again." => {
            "该批次的码生成失败并已删除：请重新创建批次。"
        }
        "Membership sign-up link" => "会员注册链接",
        "Information links" => "信息链接",
        "Limited offers" => "限量优惠",
        "People: each once, whichever codes they scan" => "人：每人一次，无论扫哪个码",
        "Printed items: each unique code once" => "印刷品：每个一物一码一次",
        "Every batch" => "所有批次",
        "How many get it" => "名额",
        "The first this many; everyone after goes to the fallback." => {
            "前这么多位获得优惠；之后的人进入备用页面。"
        }
        "Who counts" => "计数对象",
        "The offer's page" => "优惠页面",
        "Once it is gone" => "领完之后",
        "Where later scanners go; empty: where the campaign sends them anyway." => {
            "之后扫码的人去哪里；留空：按活动原本的去向。"
        }
        "Limited offer on {}" => "{} 的限量优惠",
        "The first scanners get the offer, exactly as many as you say, even with several instances. People who got it keep it when they scan again; bots take no place." => {
            "最先扫码的人获得优惠，人数与设定完全一致，多个实例也不会多发。已获得的人再次扫码仍可获得；机器人不占名额。"
        }
        "Start the offer" => "开始优惠",
        "New offer" => "新建优惠",
        "None yet: the first N scanners get a gift or a coupon, the rest go on as usual." => {
            "还没有：前 N 位扫码的人获得礼品或优惠券，其他人照常访问。"
        }
        "End" => "结束",
        "Offer started: the first scanners get it from now on." => {
            "优惠已开始：从现在起最先扫码的人可获得。"
        }
        "Offer ended: its codes go where the campaign sends them again." => {
            "优惠已结束：这些码恢复活动原本的去向。"
        }
        "Counts" => "计数方式",
        "Taken" => "已领取",
        "Left" => "剩余",
        "Offer" => "优惠",
        "every batch" => "所有批次",
        "visitors" => "访客",
        "codes" => "码",
        "used up" => "已领完",
        "standing" => "进行中",
        "Up to six buttons such as ingredients or recycling, one a line: Label | https://... On a campaign that does not track, these are the page's only buttons." => {
            "最多六个按钮，如配料或回收说明，每行一个：标签 | https://...。不追踪的活动页面上只显示这些按钮。"
        }
        "Tracking" => "追踪",
        "Full" => "完整",
        "None: count scans only" => "无：只计扫码次数",
        "None keeps no cookie, place, device or visitor, only each code's scans per hour, and its landing page shows only its information links." => {
            "“无”不保存 Cookie、地点、设备或访客，只按小时统计每个码的扫码次数，落地页只显示信息链接。"
        }
        "Model" => "归因模型",
        "More" => "更多",
        "More options (sizes, colours, label layout) are the API's:" => {
            "更多选项（尺寸、颜色、标签排版）见 API："
        }
        "More stores" => "更多门店",
        "Name" => "名称",
        "Name, number or city" => "名称、编号或城市",
        "Needed for one code per item, up to 10,000,000. Large runs are made in the background." => {
            "一物一码时必填，最多 10,000,000。大批量在后台生成。"
        }
        "New batch" => "新建批次",
        "New batch of {}" => "为 {} 新建批次",
        "New campaign" => "新建活动",
        "No campaign has codes in your stores yet." => "你的门店中还没有活动的码。",
        "No campaign matches" => "没有匹配的活动",
        "No campaigns yet." => "还没有活动。",
        "No channels yet." => "还没有渠道。",
        "No codes yet: a batch is one print run, one shared code for a poster or one code per item." => {
            "还没有码：一个批次就是一次印刷，海报用一个共享码，或一物一码。"
        }
        "No keys yet." => "还没有密钥。",
        "No one has scanned in this range yet." => "该时间范围内还没有人扫码。",
        "No photos waiting: every shared photo has been looked at." => {
            "没有待审核的照片：所有分享的照片都已审核。"
        }
        "No picture yet." => "还没有图片。",
        "No purchases recorded at your tills yet." => "你的收银台还没有记录购买。",
        "No scans in this range." => "该时间范围内没有扫码。",
        "No store (posters, packaging, ads)" => "无门店（海报、包装、广告）",
        "No store matches" => "没有匹配的门店",
        "No stores yet." => "还没有门店。",
        "None." => "无。",
        "None: no unique code was scanned from more than 3 cities, more than 20 times in an hour, or after its purchase." => {
            "无：没有一物一码在 3 个以上城市被扫、1 小时内被扫超过 20 次，或在购买后被扫。"
        }
        "Nothing was saved: fix what is marked below." => "未保存：请修改下方标出的内容。",
        "Number" => "编号",
        "Offer “Share a photo”" => "提供“分享照片”",
        "Older campaigns" => "更早的活动",
        "One code per item (bottles, boxes)" => "一物一码（瓶、盒）",
        "One shared code (a poster, a display, an ad)" => "一个共享码（海报、陈列、广告）",
        "Or run scanloop demo for a month of sample data to look around in." => {
            "或运行 scanloop demo，用一个月的示例数据先看看。"
        }
        "Order" => "订单",
        "Order number" => "订单号",
        "Over time" => "趋势",
        "PNG, 300 dpi (ZIP)" => "PNG，300 dpi（ZIP）",
        "Password" => "密码",
        "Password link" => "密码链接",
        "People" => "成员",
        "Person added." => "成员已添加。",
        "Photo" => "照片",
        "Photos" => "照片",
        "Remedies" => "售后跟进",
        "Buyers who rated their purchase 2 or less: make it right, then mark it done." => {
            "购买评分为2分及以下的顾客：妥善处理后标记为完成。"
        }
        "Remedies by status" => "按状态查看售后跟进",
        "Open" => "待处理",
        "In progress" => "处理中",
        "Done" => "已完成",
        "Nothing open: every low rating has been looked at." => {
            "没有待处理的事项：每条低分评价都已跟进。"
        }
        "Rating" => "评分",
        "Comment" => "评论",
        "Handled by" => "处理人",
        "Note" => "备注",
        "Start" => "开始处理",
        "Mark done" => "标记为完成",
        "Open again" => "重新打开",
        "Started: it is in progress." => "已开始：正在处理。",
        "Done." => "已完成。",
        "Opened again." => "已重新打开。",
        "Photos by status" => "按状态查看照片",
        "Photos to review" => "待审核照片",
        "Picture" => "图片",
        "Picture saved." => "图片已保存。",
        "Place" => "地点",
        "Places" => "地点",
        "Preview" => "预览",
        "Preview of the landing page" => "落地页预览",
        "Print cost" => "印刷成本",
        "Printed codes follow a change within seconds. Empty: the campaign's landing page." => {
            "已印刷的码会在几秒内跟随更改。留空：活动的落地页。"
        }
        "Purchase {} recorded. It counts in the numbers below." => {
            "购买 {} 已记录，已计入下方数据。"
        }
        "Purchases per scan" => "每次扫码的购买",
        "Rank" => "排名",
        "Rank by scans" => "扫码排名",
        "Rate" => "转化率",
        "Read aloud to people who cannot see it." => "为看不见图片的人朗读。",
        "Record a till purchase" => "记录门店购买",
        "Record purchase" => "记录购买",
        "Refresh" => "刷新",
        "Reject" => "拒绝",
        "Rejected" => "已拒绝",
        "Rejected: it is not shown." => "已拒绝：不会显示。",
        "Remove picture" => "移除图片",
        "Repeat purchasers" => "复购人数",
        "Repeat purchases" => "复购",
        "Stages" => "客户阶段",
        "visitors at each stage at the end of each week" => "每周末处于各阶段的访客",
        "Stage" => "阶段",
        "New this week" => "本周新进入",
        "Aware" => "认知",
        "Interested" => "兴趣",
        "Considering" => "考虑",
        "Intending" => "意向",
        "Customer" => "购买",
        "Loyal" => "忠诚",
        "A visitor is at the highest stage they reached: a scan (aware), the landing page (interested), a click or a photo (considering), joining or claiming points (intending), a purchase (customer), a second purchase (loyal). Weeks run Monday to Sunday; the latest is this week so far." => {
            "访客处于其达到的最高阶段：扫码（认知）、浏览落地页（兴趣）、点击或分享照片（考虑）、入会或领取积分（意向）、购买（购买）、再次购买（忠诚）。每周从周一到周日；最近一周为本周截至目前。"
        }
        "Report" => "报表",
        "Reports" => "报表",
        "Retailer: their stores only" => "零售商：仅限其门店",
        "Return on spend" => "投入产出比",
        "Revenue" => "收入",
        "Revoke" => "吊销",
        "Role" => "角色",
        "Runs" => "时间",
        "SVG images (ZIP)" => "SVG 图片（ZIP）",
        "Save channel" => "保存渠道",
        "Save landing page" => "保存落地页",
        "Save settings" => "保存设置",
        "Save store" => "保存门店",
        "Saved." => "已保存。",
        "Scanners" => "人数",
        "Scans" => "扫码",
        "Scans here" => "本店扫码",
        "Scans in your city" => "同城扫码",
        "Scans of other codes go on meanwhile. This page updates itself; the files are ready when the batch is." => {
            "其间其他码的扫码照常进行。本页会自动刷新；批次完成后即可下载文件。"
        }
        "Scans, 7 days" => "7 天扫码",
        "Search" => "搜索",
        "Search by name or link name" => "按名称或链接名搜索",
        "Search campaigns" => "搜索活动",
        "Search stores" => "搜索门店",
        "Sent to shops as utm_source; made from the name when left empty." => {
            "作为 utm_source 传给商城；留空则由名称生成。"
        }
        "Set-password link for {}" => "{} 的设置密码链接",
        "Settings" => "设置",
        "Settings of {}" => "{} 的设置",
        "Settings saved. Codes already printed follow them within seconds." => {
            "设置已保存。已印刷的码会在几秒内生效。"
        }
        "Short name" => "短名",
        "Short name in links" => "链接中的短名",
        "Show" => "显示",
        "Show all" => "显示全部",
        "Show shared photos at once, without approval" => "分享的照片无需审核，立即显示",
        "Shown this once and valid for 24 hours: send it to them yourself (scanloop sends no mail)." => {
            "仅显示这一次，24 小时内有效：请自行发送给对方（scanloop 不发送邮件）。"
        }
        "Shown this once and valid for 24 hours; an earlier link stopped working." => {
            "仅显示这一次，24 小时内有效；之前的链接已失效。"
        }
        "Shown this once: only its hash is kept. Send it as Authorization: Bearer <key>." => {
            "仅显示这一次：系统只保存其哈希。请以 Authorization: Bearer <key> 发送。"
        }
        "Sign out" => "退出",
        "Signs in" => "可登录",
        "Six hex digits such as #c8102e; the label is black or white, whichever reads better." => {
            "六位十六进制，如 #c8102e；按钮文字自动选用更清晰的黑色或白色。"
        }
        "Spend" => "花费",
        "Starts" => "开始",
        "State" => "状态",
        "Status" => "状态",
        "Store" => "门店",
        "Store added." => "门店已添加。",
        "Store finder link" => "门店查询链接",
        "Store number" => "门店编号",
        "Store numbers" => "门店编号",
        "Stores" => "门店",
        "Such as “Bottles, May run” or “Metro posters, line 2”." => {
            "如“瓶身，5 月批次”或“地铁海报，2 号线”。"
        }
        "Such as “Metro line 2 posters” or “Tmall packaging”." => {
            "如“地铁 2 号线海报”或“天猫包装”。"
        }
        "Text" => "正文",
        "The campaign's name when left empty." => "留空则使用活动名称。",
        "The files can be downloaded once every code is made." => "所有码生成后即可下载文件。",
        "The landing page's picture" => "落地页图片",
        "The product's barcode number: codes then print as GS1 Digital Links." => {
            "产品的条码号：码将按 GS1 数字链接印刷。"
        }
        "The share of each group who bought in that month (0 is the one they first scanned in), counting purchases by people the campaign's scans led to." => {
            "每组人在该月购买的比例（0 为首次扫码的那个月），统计由活动扫码带来的人的购买。"
        }
        "The share of each group who bought in that week (0 is the one they first scanned in), counting purchases by people the campaign's scans led to." => {
            "每组人在该周购买的比例（0 为首次扫码的那一周），统计由活动扫码带来的人的购买。"
        }
        "The share of each group who bought on that day (0 is the one they first scanned on), counting purchases by people the campaign's scans led to." => {
            "每组人在该天购买的比例（0 为首次扫码的那一天），统计由活动扫码带来的人的购买。"
        }
        "The shop; purchases there are credited through the click id it receives." => {
            "商城链接；在那里的购买通过其收到的点击 ID 归因。"
        }
        "They go to the campaign's fallback until enabled again." => {
            "在重新启用之前，它们将跳转到活动的备用地址。"
        }
        "This form had expired (or came from another page): check it and send it again." => {
            "此表单已过期（或来自其他页面）：请检查后重新提交。"
        }
        "This page fell behind and skipped some scans; it is live again." => {
            "本页跟不上，跳过了部分扫码；现已恢复实时。"
        }
        "Till purchases" => "门店购买",
        "Till purchases, 7 days" => "7 天门店购买",
        "Time (UTC)" => "时间（UTC）",
        "To" => "到",
        "Turned upright and saved without its location or camera details." => {
            "会自动摆正方向，保存时去除位置和相机信息。"
        }
        "Two weeks" => "两周",
        "Unique" => "独立",
        "Unique scanners" => "独立扫码人数",
        "Unknown" => "未知",
        "Upload picture" => "上传图片",
        "Waiting" => "待审核",
        "Waiting for the next scan…" => "等待下一次扫码…",
        "What the picture shows" => "图片内容描述",
        "What uses it, such as “Tmall webhook relay” or “BI export”." => {
            "用途，如“天猫回调转发”或“BI 导出”。"
        }
        "When (UTC)" => "时间（UTC）",
        "When it is off" => "停用时",
        "When the campaign is off" => "活动停用时",
        "Where people scanned" => "扫码地点",
        "Where people see your codes: packaging, posters, store displays, TV, social. Every batch names one, and reports compare them." => {
            "人们看到码的地方：包装、海报、门店陈列、电视、社交媒体。每个批次对应一个渠道，报表按渠道对比。"
        }
        "Where scans go" => "扫码去向",
        "Where scans go before it starts, after it ends or while it is disabled." => {
            "活动开始前、结束后或停用期间扫码的去向。"
        }
        "Where the codes are seen; reports compare channels. Add channels on the Channels page." => {
            "码出现的地方；报表按渠道对比。可在“渠道”页面添加渠道。"
        }
        "Where your products are sold. A batch of display or shelf codes names its store; a store's manager signs in to see their own." => {
            "销售产品的地方。陈列或货架码批次对应其门店；店长登录后可查看自己的门店。"
        }
        "Whose" => "所属",
        "Why" => "原因",
        "Window" => "窗口",
        "With the longitude, for the map and “nearby”; such as 31.2304." => {
            "与经度一起用于地图和“附近”；如 31.2304。"
        }
        "Your own number for the store; tills send it with their purchases." => {
            "你给门店的编号；收银机上报购买时会带上它。"
        }
        "Your session had ended. Here is what you typed: check it and send it again." => {
            "你的登录已过期。这是你之前填写的内容：请检查后重新提交。"
        }
        "Your stores" => "你的门店",
        "Zone" => "时区",
        "a page saying the campaign is not running" => "提示活动未进行的页面",
        "a whole number of items, such as 2" => "请填写整数件数，如 2",
        "a-z, 0-9 and hyphens; made from the name when left empty. It cannot change later: it is printed in every link." => {
            "a-z、0-9 和连字符；留空则由名称生成。之后不能更改：它会印在每个链接中。"
        }
        "above the target CPA" => "高于目标 CPA",
        "active" => "启用",
        "admin" => "管理员",
        "always" => "长期",
        "among the brand's {} stores with scans" => "在品牌有扫码的 {} 家门店中",
        "analyst" => "分析师",
        "as a phone shows it" => "手机上的样子",
        "at least {}" => "至少 {}",
        "at most {}" => "至多 {}",
        "batches" => "批次",
        "below the target ROAS" => "低于目标 ROAS",
        "bot" => "机器人",
        "burst of scans" => "短时大量扫码",
        "by day" => "按天",
        "by hour" => "按小时",
        "by month" => "按月",
        "by the day people first scanned" => "按首次扫码的日期",
        "by the month people first scanned" => "按首次扫码的月份",
        "by the week people first scanned" => "按首次扫码的周",
        "by week" => "按周",
        "channels" => "渠道",
        "cohorts" => "复购群组",
        "conversions (right scale)" => "转化（右轴）",
        "credit:" => "归因：",
        "day" => "天",
        "desktop" => "电脑",
        "devices" => "设备",
        "disabled" => "已停用",
        "due by now {}" => "截至目前应达 {}",
        "ended" => "已结束",
        "event" => "活动现场",
        "failed" => "失败",
        "first_touch" => "首次触点",
        "from {}" => "自 {} 起",
        "funnel" => "漏斗",
        "generating" => "生成中",
        "hour" => "小时",
        "last 7 days" => "最近 7 天",
        "last_touch" => "末次触点",
        "linear" => "线性",
        "lot" => "批号",
        "many cities" => "多个城市",
        "media" => "媒体",
        "mobile" => "手机",
        "month" => "月",
        "never" => "从未",
        "new" => "新增",
        "newest first" => "最新在前",
        "no change" => "持平",
        "no password yet" => "尚未设置密码",
        "no scans yet" => "暂无扫码",
        "no targets set" => "未设置目标",
        "none" => "无",
        "none in the 7 days before" => "之前 7 天没有",
        "now" => "现在",
        "of" => "共",
        "one per item" => "一物一码",
        "one shared code" => "一个共享码",
        "other" => "其他",
        "packaging" => "包装",
        "position_based" => "位置加权",
        "poster" => "海报",
        "ready" => "就绪",
        "regions" => "地区",
        "retailer" => "零售商",
        "revoked" => "已吊销",
        "running" => "进行中",
        "saved version" => "已保存的版本",
        "scanned after purchase" => "购买后仍被扫",
        "scans" => "扫码",
        "scans in your stores" => "你门店的扫码",
        "scheduled" => "未开始",
        "serial, token, link, status and scans of every code" => {
            "每个码的序号、令牌、链接、状态和扫码次数"
        }
        "shared" => "共享码",
        "shared by consumers" => "消费者分享",
        "since this page opened" => "自本页打开以来",
        "social" => "社交媒体",
        "store" => "门店",
        "stores" => "门店",
        "suspicious-codes" => "可疑码",
        "tablet" => "平板",
        "variants" => "实验版本",
        "target {}" => "目标 {}",
        "the landing page" => "落地页",
        "till purchases (right scale)" => "门店购买（右轴）",
        "till purchases over scans in your stores" => "门店购买 ÷ 你门店的扫码",
        "time" => "时间",
        "time_decay" => "时间衰减",
        "top cities" => "主要城市",
        "unique" => "一物一码",
        "unknown" => "未知",
        "until {}" => "至 {}",
        "vs. before" => "环比",
        "watch them live" => "实时查看",
        "week" => "周",
        "yes" => "是",
        "you" => "你",
        "your codes will be seen in." => "（码将出现的地方）。",
        "{from} to {to} (times in UTC{zone})" => "{from} 至 {to}（时间为 UTC{zone}）",
        "{from} to {to} UTC" => "{from} 至 {to} UTC",
        "{model} within {window} (half-life {half_life})" => {
            "{model}，窗口 {window}（半衰期 {half_life}）"
        }
        "{now} in, target {target}" => "当前 {now}，目标 {target}",
        "{} against the 7 days before" => "较之前 7 天 {}",
        "{} is not an amount: write it as 12.50" => "{} 不是金额：请写成 12.50 这样的格式",
        "“Buy online” when left empty." => "留空则为“在线购买”。",
        "The control, {}, converts better than every other variant, beyond chance." => {
            "对照组 {} 的转化优于其他所有版本，且非偶然。"
        }
        "{} converts better than the control, beyond chance." => "{} 的转化优于对照组，且非偶然。",
        "Collecting: the test may declare a winner once every variant has {} visitors." => {
            "收集中：每个版本达到 {} 位访客后，检验才可能判定胜出者。"
        }
        "No variant differs from the control with enough certainty yet." => {
            "尚无版本与对照组有足够把握的差异。"
        }
        "Everyone goes to the campaign's own page again." => "所有人重新进入活动自己的页面。",
        "Everyone now gets {}." => "现在所有人都看到 {}。",
        "Experiment stopped." => "实验已停止。",
        "Experiments" => "实验",
        "None yet: split scanners between two to four messages and see which one sells. Start one through the API:" => {
            "暂无：把扫码者分到两到四种信息中，看哪种卖得更好。通过 API 开始一个实验："
        }
        "Experiment" => "实验",
        "Variants" => "版本",
        "Variant" => "版本",
        "Started" => "开始",
        "Share" => "流量占比",
        "Buyers" => "购买人数",
        "Conversion rate" => "转化率",
        "Conversions are credited to the variant each scan showed, under the page's attribution; the conversion rate is conversions per person. Bots are shown the control and counted for none. The experiment's page in the console says whether a variant has won." => {
            "转化按每次扫码所展示的版本、以本页的归因方式计入；转化率为每人转化数。机器人看到的是对照组，不计入任何版本。控制台的实验页面会说明是否已有版本胜出。"
        }
        "95% interval" => "95% 区间",
        "Beats control" => "优于对照组的概率",
        "control" => "对照组",
        "winner" => "胜出",
        "The conversion rate is buyers per unique scanner; “Beats control” is the chance a variant's true rate is above the control's. The verdict comes from a sequential test (mSPRT) that stays valid however often you look: with no real difference it declares a winner in at most 5% of experiments." => {
            "转化率为购买人数除以独立扫码人数；“优于对照组的概率”是该版本真实转化率高于对照组的概率。结论来自序贯检验（mSPRT），无论查看多少次都有效：若实际没有差异，最多 5% 的实验会判定出胜出者。"
        }
        "when you stop it" => "手动停止时",
        "Minimum sample" => "最小样本",
        "visitors per variant" => "位访客／每个版本",
        "Stops itself at a winner" => "出现胜出者时自动停止",
        "no" => "否",
        "Then send everyone to" => "之后所有人进入",
        "the campaign's own page" => "活动自己的页面",
        "Stop experiment" => "停止实验",
        "Log" => "记录",
        "stopped" => "已停止",
        "Stop rules changed" => "停止规则已更改",
        "The test found a winner" => "检验找到了胜出者",
        "Stopped" => "已停止",
        "Changed" => "已更改",
        "It reached its end date" => "已到结束日期",
        "It stopped itself when the test found a winner" => "检验找到胜出者时自动停止",
        "Stopped by hand" => "手动停止",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attribution::Model;
    use crate::domain::time::Interval;
    use crate::domain::{BatchMode, ChannelKind, Role};

    /// The console's sources: what they ask `tr` for is in the table.
    const SOURCES: [&str; 16] = [
        include_str!("../store_page.rs"),
        include_str!("../report_page/view.rs"),
        include_str!("../report_page/charts.rs"),
        include_str!("mod.rs"),
        include_str!("campaigns.rs"),
        include_str!("landing.rs"),
        include_str!("batches.rs"),
        include_str!("catalog.rs"),
        include_str!("notices.rs"),
        include_str!("offers.rs"),
        include_str!("experiments.rs"),
        include_str!("home.rs"),
        include_str!("photos.rs"),
        include_str!("remedies.rs"),
        include_str!("people.rs"),
        include_str!("form.rs"),
    ];
    const TEMPLATES: [&str; 21] = [
        include_str!("../../../templates/live.html"),
        include_str!("../../../templates/store.html"),
        include_str!("../../../templates/report.html"),
        include_str!("../../../templates/report_index.html"),
        include_str!("../../../templates/console_base.html"),
        include_str!("../../../templates/console_form.html"),
        include_str!("../../../templates/console_home.html"),
        include_str!("../../../templates/console_campaigns.html"),
        include_str!("../../../templates/console_campaign_rows.html"),
        include_str!("../../../templates/console_campaign.html"),
        include_str!("../../../templates/console_experiment.html"),
        include_str!("../../../templates/console_edit.html"),
        include_str!("../../../templates/console_refused.html"),
        include_str!("../../../templates/console_landing.html"),
        include_str!("../../../templates/console_batch.html"),
        include_str!("../../../templates/console_channels.html"),
        include_str!("../../../templates/console_stores.html"),
        include_str!("../../../templates/console_photos.html"),
        include_str!("../../../templates/console_remedies.html"),
        include_str!("../../../templates/console_users.html"),
        include_str!("../../../templates/console_keys.html"),
    ];

    /// The string literal at the start of `rest`, if it starts with one.
    fn literal(rest: &str) -> Option<String> {
        let mut chars = rest.strip_prefix('"')?.chars();
        let mut text = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(text),
                '\\' => text.push(chars.next()?),
                c => text.push(c),
            }
        }
        None
    }

    /// Literals passed to `t(...)` or `tr(..., ...)` in `source`.
    fn asked(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for call in ["t(", "tr("] {
            for (at, _) in source.match_indices(call) {
                let before = source[..at].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let mut rest = source[at + call.len()..].trim_start();
                for argument in ["viewer.language,", "language,", "self.language,"] {
                    if let Some(after) = rest.strip_prefix(argument) {
                        rest = after.trim_start();
                    }
                }
                found.extend(literal(rest));
            }
        }
        found
    }

    #[test]
    fn every_sentence_the_console_shows_has_its_chinese() {
        let mut sentences: Vec<String> = SOURCES
            .iter()
            .chain(TEMPLATES.iter())
            .flat_map(|s| asked(s))
            .collect();
        // Asked for through a value: labels, statuses, roles, kinds and notes.
        for source in SOURCES {
            for (at, _) in source.match_indices("=> Some(\"") {
                sentences.extend(literal(&source[at + 8..]));
            }
        }
        let values = [
            "Home",
            "Campaigns",
            "Channels",
            "Stores",
            "Photos",
            "Remedies",
            "Open",
            "In progress",
            "Done",
            "Reports",
            "Live",
            "People",
            "API keys",
            "running",
            "scheduled",
            "ended",
            "disabled",
            "ready",
            "generating",
            "failed",
            "Waiting",
            "Approved",
            "Rejected",
            crate::http::console::KEPT_NOTE,
            "Person added.",
            "Enabled again.",
            "Saved.",
            "Disabled: their sign-ins and API keys stopped at once.",
            "Key revoked: requests with it are refused from now on.",
            "Disabled: it is no longer offered for new batches.",
            "Not changed",
            "Too large",
            "Not ready",
            "Not found",
            "Busy",
            "Not understood",
            "stopped",
            "Stop rules changed",
            "The test found a winner",
            "Stopped",
            "Changed",
            "It reached its end date",
            "It stopped itself when the test found a winner",
            "Stopped by hand",
            "Aware",
            "Interested",
            "Considering",
            "Intending",
            "Customer",
            "Loyal",
        ];
        sentences.extend(values.iter().map(|v| v.to_string()));
        sentences.extend(Role::ALL.iter().map(|r| r.as_str().to_owned()));
        sentences.extend(ChannelKind::ALL.iter().map(|k| k.as_str().to_owned()));
        sentences.extend(BatchMode::ALL.iter().map(|m| m.as_str().to_owned()));
        sentences.extend(Model::ALL.iter().map(|m| m.as_str().to_owned()));
        sentences.extend(Interval::ALL.iter().map(|i| i.as_str().to_owned()));
        for source in SOURCES {
            // The report page's interval and cohort headings, and its notes.
            for (at, _) in source.match_indices("=> \"by ") {
                sentences.extend(literal(&source[at + 3..]));
            }
            for (at, _) in source.match_indices(": &str = \"") {
                sentences.extend(literal(&source[at + 8..]));
            }
        }
        let step_labels = [
            "Scans",
            "Unique scanners",
            "Landing views",
            "CTA clicks",
            "Conversions",
            "Repeat purchasers",
            "channels",
            "batches",
            "stores",
            "devices",
            "regions",
            "time",
            "funnel",
            "cohorts",
            "suspicious-codes",
            "variants",
            "control",
            "winner",
            "mobile",
            "tablet",
            "desktop",
            "active",
        ];
        sentences.extend(step_labels.iter().map(|s| s.to_string()));
        assert!(
            sentences.len() > 200,
            "the scan finds the sentences: {}",
            sentences.len()
        );
        let missing: Vec<&String> = sentences.iter().filter(|s| chinese(s).is_none()).collect();
        assert!(missing.is_empty(), "no Chinese for: {missing:?}");
        assert_eq!(tr(Language::English, "Campaigns"), "Campaigns");
        assert_eq!(tr(Language::Chinese, "Campaigns"), "活动");
    }
}
