"""第24条 促进科技创新和新技术应用.

> 建筑企业获批国家级企业技术中心的，一次性奖励 50 万元；获批省级企业技术中心的，一次性奖励 20 万元。企业
> 主编完成国家级、省级行业标准并经批准实施的，每项分别奖励 5 万元和 2 万元。企业获评国家级、省级工法每项
> 分别奖励 5 万元和 2 万元。奖励资金由企业注册地财政支付。

Encoded as three families: tech_center keyed by company (一次性; 国家级 tier 2 over 省级 tier 1, upgrade as top-up),
standard and method keyed by company and normalised name (每项: one reward per standard / 工法; the same one
rising from 省级 to 国家级 is paid the difference).

Not encoded: BIM platforms, 重大科技专项, 税前列支 of IT spending — no amount is set by this document.
"""
CATEGORIES = ("tech_national", "tech_provincial", "standard_national", "standard_provincial",
              "method_national", "method_provincial")
TITLE = "促进科技创新和新技术应用"
MESSAGES: dict = {}
