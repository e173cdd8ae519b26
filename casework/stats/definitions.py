"""Names and counting rules of every figure, in Chinese, written into each export (docs/statistics.md
says the same in English). The exports are the township's report format, so their words are Chinese."""

ORDER_NAMES = {
    "received": "受理工单",
    "ack_due": "应签收",
    "ack_on_time": "及时签收",
    "assigned": "派单",
    "resolved": "办结",
    "resolved_on_time": "按时办结",
    "open_past_due": "逾期未办结",
    "returned": "退单",
    "reopened": "重办",
    "extended": "延期",
    "callbacks": "回访",
    "callbacks_solved": "回访已解决",
    "callbacks_satisfied": "满意及基本满意",
}
ORDER_RATE_NAMES = {
    "response_rate": "响应率",
    "solved_rate": "解决率",
    "satisfaction_rate": "满意率",
    "on_time_rate": "按时办结率",
}
DISPUTE_NAMES = {
    "received": "受理纠纷",
    "concluded": "办结纠纷",
    "settled": "调解成功",
    "failed": "调解不成",
    "withdrawn": "撤回",
    "mediated": "调解终结",
    "escalated": "上报",
}
DISPUTE_RATE_NAMES = {"success_rate": "调解成功率"}
ORDER_DIM_NAMES = {"village": "村", "category": "问题分类", "request_type": "诉求类型", "cadre": "包村干部"}
DISPUTE_DIM_NAMES = {"category": "纠纷类型", "tier": "调解层级", "village": "村"}
TOTAL = "合计"
NO_RATE = "—"
# A breakdown's row of the cases without a value, and the three tiers of mediation (三级调解).
NO_VALUE_NAMES = {
    "village": "（未定村）",
    "cadre": "（未派单）",
    "category": "（未分类）",
    "request_type": "（未分类）",
}
TIER_NAMES = {"village": "村级调解", "district": "片区调解", "centre": "镇综治中心"}
# The month's order list (monthly.month_orders), its columns and an order's states.
ORDER_LIST_COLUMNS = (
    "工单编号",
    "来电时间",
    "村",
    "问题分类",
    "诉求类型",
    "紧急程度",
    "签收时间",
    "办理时限",
    "月末状态",
    "月末承办干部",
    "办结时间",
    "重办次数",
    "延期次数",
    "照片数",
)
STATE_NAMES = {"received": "待派单", "assigned": "办理中", "resolved": "已办结"}


def group_name(dim: str, group) -> str:
    """A breakdown row's name in the report: a tier's name, the name from the data, or the words for the
    cases without a value (a figures.Group of the dimension `dim`)."""
    if not group.known:
        return NO_VALUE_NAMES[dim]
    return TIER_NAMES.get(group.key, group.name) if dim == "tier" else group.name


GENERAL = [
    (
        "统计期间",
        "月份按本镇时区（默认 Asia/Shanghai）的自然月计算：每月1日0时（含）至次月1日0时（不含），"
        "换算为 UTC 后查询。年度同理。",
    ),
    (
        "依据",
        "全部数字由数据库按案件历史记录（case_events：受理、派单、改派、退单、办结、重办、上报、回访、延期等）"
        "统计，只计期末（月末）之前发生的记录，月份结束后再发生的办理不改变该月数字。",
    ),
    (
        "分组",
        "村、问题分类、诉求类型取工单本身的登记值；包村干部取月末前最后一次派单/改派/上报给的干部"
        "（从未派单的记为“（未派单）”）；调解层级取月末前最后一次上报后的层级（未上报为村级调解）。"
        "各分组之和等于合计。",
    ),
    ("比率", "每个比率均列出分子和分母；分母为0时比率记为“—”。"),
]
ORDER_RULES = [
    ("受理工单", "来电（受理）时间在本月的工单数。"),
    (
        "应签收",
        "本月受理的工单中，统计时已签收（已首次派单）或签收时限已过的件数；尚未签收且签收时限未到的工单"
        "（多见于当月统计和月末最后几小时受理的工单）既不算及时也不算超时，不计入响应率。",
    ),
    ("派单", "本月有过派单（assign）记录的工单数，每件计一次。"),
    (
        "及时签收",
        "本月受理的工单中，首次派单时间不晚于签收时限（ack_due_at）的件数；"
        "无签收时限的工单，首次派单在受理后 STATS_ACK_WINDOW_HOURS 小时（默认24小时）内即为及时。"
        "签收是否及时在签收时限到达时即已确定。",
    ),
    ("办结", "本月有过办结（resolve）记录的工单数，每件计一次（同月重办后再次办结仍计一件）。"),
    (
        "按时办结",
        "本月办结的工单中，本月最后一次办结时间不晚于当时办理时限（due_at，按当时已批准的延期计）的件数；"
        "没有办理时限的工单计为按时。",
    ),
    ("逾期未办结", "月末（当月进行中则为统计时刻）仍未办结且办理时限已过的工单数（存量），含以前月份受理的工单。"),
    (
        "退单",
        "本月有过退单（return）记录的工单数：包村干部把工单退回镇调度（非本人或本村职责），不是镇向12345平台的退单。",
    ),
    ("重办", "本月有过重办（reopen）记录的工单数。"),
    ("延期", "本月有延期获批（grant_extension）记录的工单数。"),
    ("回访", "本月的回访（callback）记录数；重办后再回访另计一次。"),
    ("回访已解决", "本月回访中群众表示问题已解决的次数。"),
    ("满意及基本满意", "本月回访中满意度为“满意”或“基本满意”的次数。"),
    ("响应率", "及时签收 ÷ 应签收。"),
    ("解决率", "回访已解决 ÷ 回访。"),
    ("满意率", "满意及基本满意 ÷ 回访。"),
    ("按时办结率", "按时办结 ÷ 办结。"),
]
DISPUTE_RULES = [
    ("受理纠纷", "登记（受理）时间在本月的矛盾纠纷数。"),
    ("办结纠纷", "本月有过办结记录的纠纷数，按本月最后一次办结的结果分为调解成功、调解不成、撤回。"),
    ("调解成功", "本月最后一次办结结果为调解成功（达成调解协议）的纠纷数，即“化解矛盾纠纷”。"),
    ("调解不成", "本月最后一次办结结果为调解不成（已告知仲裁、行政、诉讼途径）的纠纷数。"),
    ("撤回", "本月最后一次办结结果为当事人撤回的纠纷数。"),
    ("调解终结", "调解成功 + 调解不成（撤回的不计入）。"),
    ("上报", "本月有过上报（escalate，村级→片区→镇综治中心）记录的纠纷数。"),
    ("调解成功率", "调解成功 ÷ 调解终结。"),
]
YEARLY_RULES = [
    ("年度数字", "口径与月度相同，统计期间为全年；同一件在两个月份办结，全年只计一件，分月表中各月各计一件。"),
    ("今年共处理“12345”热线来访N件", "N = 全年办结的工单数（全年有过办结记录的工单，每件计一次）。"),
    (
        "全年累计化解矛盾纠纷N余起",
        "N = 全年调解成功的纠纷数，按“余”的写法取整：不足10起写确数（不带“余”）；10–99起取到十位"
        "（37→30余）；100起及以上保留前两位数字（137→130余，1234→1200余）；取整后与确数相同时写确数、不带“余”。",
    ),
]
